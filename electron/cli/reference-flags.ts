import type { Command } from 'commander'
import { z } from 'zod'
import { AppError } from '../../shared/errors'
import { referenceRoleSchema } from '../../shared/references'
import type { JobInputSpec } from '../core/jobs/model'
import type { CliContext } from './context'
import { CliError, usageError } from './exit'
import { collect } from './flags'

/**
 * --ref and --kit, for edit and batch. A reference is `--ref <file>` or `--ref <role>=<file>`: the role
 * is a short word before the first "=" (letters, digits, space, _ or -), so `--ref logo=brand/logo.png`
 * is a logo and `--ref ./a=b.png` is the file "a=b.png". References go after the image edited, in the
 * order given; a kit's references come before those given with --ref.
 */
export function addReferenceOptions(command: Command): Command {
  return command
    .option('--ref <[role=]file>', 'a reference image sent after the image edited, optionally with its role (style=look.jpg, logo=logo.png); repeat, order kept', collect, [])
    .option('--kit <name>', "a brand kit (see pixdesk kits list): its reference images come before the --ref ones and its snippets are added to the prompt")
}

export const referenceFlagsSchema = z.object({
  ref: z.array(z.string()).default([]),
  kit: z.string().trim().min(1, 'is empty: give a kit name (see pixdesk kits list)').optional()
})

export interface ReferenceChoice {
  /** In sending order: the kit's, then --ref. `input` is what resolveInputs and preflight take. */
  references: Array<{ input: string; role?: string }>
  /** The kit's prompt snippets, added after the prompt. */
  snippets: string[]
}

const ROLE_PREFIX = /^([A-Za-z0-9][A-Za-z0-9 _-]{0,39})=(.+)$/s

/** One --ref value: `file` or `role=file`. */
export function parseRefFlag(value: string): { file: string; role?: string } {
  const match = ROLE_PREFIX.exec(value)
  if (!match) {
    if (!value.trim()) throw usageError('--ref: is empty: give a reference image file, optionally as role=file.', 'ref')
    return { file: value }
  }
  const role = referenceRoleSchema.safeParse(match[1])
  if (!role.success) throw usageError(`--ref "${value}": the role ${role.error.issues[0]?.message ?? 'is not valid'}.`, 'ref', value)
  return { file: match[2]!, role: role.data }
}

/** The references the flags ask for, each file checked to exist; a kit that cannot be found is a usage error. */
export async function referencesFromFlags(ctx: CliContext, flags: z.infer<typeof referenceFlagsSchema>): Promise<ReferenceChoice> {
  const { resolveInputs } = await import('./request')
  const references: ReferenceChoice['references'] = []
  let snippets: string[] = []
  if (flags.kit) {
    const [{ findKit, kitReferences }, { resolveAppPaths }] = await Promise.all([import('../core/kits/store'), import('../core/paths')])
    try {
      const kit = await findKit(resolveAppPaths(ctx.env).dataDir, flags.kit)
      for (const ref of kitReferences(kit)) references.push({ input: ref.path, ...(ref.role ? { role: ref.role } : {}) })
      snippets = kit.manifest.snippets
    } catch (err) {
      if (err instanceof AppError) throw usageError(`--kit: ${err.message}`, 'kit', flags.kit)
      throw err
    }
  }
  for (const value of flags.ref) {
    const { file, role } = parseRefFlag(value)
    const [input] = await resolveInputs([file], { folders: false }).catch((err: unknown) => {
      if (err instanceof CliError) throw usageError(`--ref: ${err.message}`, 'ref', file)
      throw err
    })
    if (input === undefined) throw usageError(`--ref "${value}" names no image.`, 'ref', value)
    references.push({ input, ...(role ? { role } : {}) })
  }
  return { references, snippets }
}

/** A reference as the jobs engine takes it. */
export function referenceJobInput(jobInputOf: (raw: string) => JobInputSpec, ref: { input: string; role?: string }): JobInputSpec {
  const input = jobInputOf(ref.input)
  return ref.role ? ({ ...input, role: ref.role } as JobInputSpec) : input
}
