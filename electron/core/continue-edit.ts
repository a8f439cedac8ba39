import type { z } from 'zod'
import type { continueFromPayload } from '../../shared/contract'
import type { Settings } from '../../shared/settings'
import { resolveVersion } from './history/lineage'
import type { History } from './history/history'
import type { BatchSpec } from './jobs/model'
import { chosenOutputFolder } from './outputs'
import { providerAdapter } from './providers/registry'

export type ContinueFromRequest = z.output<typeof continueFromPayload>

/**
 * An edit of an earlier version's output as the engine runs it. The file comes from the history record,
 * so the window never names a path; an unknown record or a missing file is refused here, before anything
 * is queued or sent.
 */
export async function continueSpec(request: ContinueFromRequest, history: History, settings: Settings): Promise<BatchSpec> {
  const version = await resolveVersion(history, request.recordId, request.outputIndex)
  const provider = settings.provider.active
  return {
    name: request.prompt?.trim().slice(0, 80) || undefined,
    kind: 'edit',
    files: [{ path: version.path }],
    prompt: request.prompt,
    templateId: request.templateId,
    variables: request.variables,
    models: [{ model: request.model, provider }],
    params: request.params,
    route: request.route ?? providerAdapter(provider).routeFromSettings?.(settings) ?? 'sync',
    // Asked for on purpose: editing the same version the same way again is what the user wants.
    duplicates: 'run',
    outputDir: chosenOutputFolder(settings.output),
    sandbox: settings.provider.sandbox,
    parent: version.parent
  }
}
