import { readdir, stat } from 'node:fs/promises'
import { arch, release, type as osType } from 'node:os'
import { join } from 'node:path'
import { providerIds, type ProviderId } from '../../shared/records'
import type { Settings } from '../../shared/settings'
import type { History } from './history/history'
import type { Keychain, KeySource } from './keychain'
import type { AppPaths } from './paths'
import { createRedactor, redactValue } from './redact'

/**
 * The support report behind Help → Copy diagnostics and `pixdesk diagnostics`: enough to answer "which
 * version, which settings, is a key set, does the keychain work, how big is the data, what failed last"
 * without ever holding a key. Everything is passed through the redactor, with the configured keys
 * as known secrets, before it leaves this module.
 */
export interface DiagnosticsReport {
  generatedAt: string
  versions: { app: string; electron: string | null; chromium: string | null; node: string; os: string; arch: string }
  dataDir: string
  cacheDir: string
  logsDir: string | null
  settings: Settings
  keys: Array<{ provider: ProviderId; set: boolean; source: KeySource | null; problem?: string }>
  keychain: { available: boolean; problem?: string }
  sizes: Array<{ folder: string; bytes: number; files: number }>
  recentErrors: Array<{
    at: string
    recordId: string
    provider: ProviderId
    model: string
    sandbox: boolean
    code: string
    message: string
    httpStatus?: number
    providerCode?: string
    requestIds: string[]
    batchId?: string
  }>
}

export interface DiagnosticsSources {
  version: string
  paths: AppPaths
  settings: () => Settings
  keychain: Keychain
  history: History
  /** Where the desktop app writes its log (the CLI has none). */
  logsDir?: string
  /** process.versions of the running runtime (Electron adds electron and chrome). */
  runtimeVersions?: NodeJS.ProcessVersions
}

export const RECENT_ERRORS = 20

export async function collectDiagnostics(sources: DiagnosticsSources): Promise<DiagnosticsReport> {
  const versions = sources.runtimeVersions ?? process.versions
  const statuses = await sources.keychain.statusAll()
  const keychainProblem = statuses.find((s) => s.error?.code === 'keychain_unavailable')?.error?.message
  // Known secrets for the redactor: whatever keys are configured now, from any source.
  const secrets: string[] = []
  for (const provider of providerIds) {
    const key = await sources.keychain.getKey(provider).catch(() => null)
    if (key) secrets.push(key)
  }
  const redact = createRedactor(() => secrets)
  const failed = await sources.history.query({ status: 'failed', sort: 'newest', page: 1, pageSize: RECENT_ERRORS })
  const report: DiagnosticsReport = {
    generatedAt: new Date().toISOString(),
    versions: {
      app: sources.version,
      electron: versions.electron ?? null,
      chromium: versions.chrome ?? null,
      node: versions.node,
      os: `${osType()} ${release()}`,
      arch: arch()
    },
    dataDir: sources.paths.dataDir,
    cacheDir: sources.paths.cacheDir,
    logsDir: sources.logsDir ?? null,
    settings: sources.settings(),
    keys: statuses.map((s) => ({
      provider: s.provider,
      set: s.set,
      source: s.source,
      ...(s.error ? { problem: s.error.message } : {})
    })),
    keychain: keychainProblem ? { available: false, problem: keychainProblem } : { available: true },
    sizes: await folderSizes(sources.paths),
    recentErrors: failed.items.map((item) => ({
      at: item.startedAt,
      recordId: item.id,
      provider: item.provider,
      model: item.model,
      sandbox: item.sandbox,
      code: item.error?.code ?? 'internal',
      message: item.error?.message ?? '',
      ...(item.error?.status !== undefined ? { httpStatus: item.error.status } : {}),
      ...(item.error?.providerCode ? { providerCode: item.error.providerCode } : {}),
      requestIds: item.requestIds.length ? item.requestIds : item.error?.requestId ? [item.error.requestId] : [],
      ...(item.batchId ? { batchId: item.batchId } : {})
    }))
  }
  return redactValue(report, redact)
}

/** Each top-level entry of the data folder, and the cache folder, with its size on disk. */
async function folderSizes(paths: AppPaths): Promise<DiagnosticsReport['sizes']> {
  const sizes: DiagnosticsReport['sizes'] = []
  const entries = await readdir(paths.dataDir, { withFileTypes: true }).catch(() => [])
  for (const entry of entries) {
    const path = join(paths.dataDir, entry.name)
    if (path === paths.cacheDir) continue
    sizes.push({ folder: entry.name, ...(await sizeOf(path)) })
  }
  sizes.push({ folder: paths.cacheDir, ...(await sizeOf(paths.cacheDir)) })
  return sizes
}

async function sizeOf(path: string): Promise<{ bytes: number; files: number }> {
  const info = await stat(path).catch(() => null)
  if (!info) return { bytes: 0, files: 0 }
  if (!info.isDirectory()) return { bytes: info.size, files: 1 }
  let bytes = 0
  let files = 0
  for (const entry of await readdir(path, { withFileTypes: true }).catch(() => [])) {
    if (entry.isSymbolicLink()) continue
    const inner = await sizeOf(join(path, entry.name))
    bytes += inner.bytes
    files += inner.files
  }
  return { bytes, files }
}

/** The report as plain text, for the clipboard and a terminal. */
export function formatDiagnostics(report: DiagnosticsReport): string {
  const v = report.versions
  const lines = [
    `Pixdesk diagnostics, ${report.generatedAt}`,
    '',
    `Pixdesk ${v.app}; Electron ${v.electron ?? '(not running in Electron)'}; Chromium ${v.chromium ?? '-'}; Node ${v.node}; ${v.os} ${v.arch}`,
    `Data folder: ${report.dataDir}`,
    `Cache folder: ${report.cacheDir}`,
    `Logs: ${report.logsDir ?? '(the command line keeps no log)'}`,
    '',
    `Keychain: ${report.keychain.available ? 'available' : `unavailable: ${report.keychain.problem}`}`,
    ...report.keys.map((k) => `  ${k.provider}: ${k.set ? `set (${k.source})` : 'not set'}${k.problem ? `; ${k.problem}` : ''}`),
    '',
    'Folder sizes:',
    ...report.sizes.map((s) => `  ${s.folder}: ${formatBytes(s.bytes)} in ${s.files} file${s.files === 1 ? '' : 's'}`),
    '',
    `Last ${RECENT_ERRORS} errors (newest first): ${report.recentErrors.length === 0 ? 'none' : ''}`,
    ...report.recentErrors.map(
      (e) =>
        `  ${e.at} ${e.provider}${e.sandbox ? ' (sandbox)' : ''} ${e.model}: ${e.code}${e.httpStatus ? ` HTTP ${e.httpStatus}` : ''}` +
        `${e.providerCode ? ` provider code ${e.providerCode}` : ''}; request ids ${e.requestIds.join(', ') || '-'}; record ${e.recordId}` +
        `${e.batchId ? `; batch ${e.batchId}` : ''}\n    ${e.message}`
    ),
    '',
    'Settings:',
    JSON.stringify(report.settings, null, 2)
  ]
  return `${lines.join('\n')}\n`
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}
