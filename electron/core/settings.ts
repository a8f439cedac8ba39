import { mkdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { AppError } from '../../shared/errors'
import {
  SETTINGS_VERSION,
  defaultSettings,
  settingsSchema,
  type Settings,
  type SettingsNotice,
  type SettingsPatch
} from '../../shared/settings'
import { backupFile, readJsonFile, writeJsonAtomic } from './atomic'

const SETTINGS_FILE = 'settings.json'

export function settingsPath(dataDir: string): string {
  return join(dataDir, SETTINGS_FILE)
}

type RawSettings = Record<string, unknown>

interface Migration {
  /** Version this step reads; it produces `from + 1`. */
  from: number
  describe: string
  up(raw: RawSettings): RawSettings
}

/**
 * Ordered steps from each older file version to the next. A file is migrated step by step up to
 * SETTINGS_VERSION; the file as it was is kept beside the new one.
 */
const migrations: Migration[] = [
  {
    // Files written by hand or by scripts before the format carried a version number.
    from: 0,
    describe: 'unversioned settings file',
    up: (raw) => ({ ...raw, version: 1 })
  }
]

export interface LoadedSettings {
  settings: Settings
  /** Set when the file could not be used as it was: show it to the user. */
  notice?: SettingsNotice
}

/**
 * Reads the settings, never throwing for a bad file: a missing file gives the defaults; an old file is
 * migrated; a corrupt or invalid one is copied aside, repaired (invalid fields back to their defaults,
 * or all defaults when it is not JSON), written back, and a notice explains what happened.
 */
export async function loadSettings(dataDir: string): Promise<LoadedSettings> {
  const path = settingsPath(dataDir)
  const read = await readJsonFile(path)
  if (read.kind === 'missing') return { settings: clone(defaultSettings) }
  if (read.kind === 'unreadable') {
    return {
      settings: clone(defaultSettings),
      notice: {
        message: `The settings file ${path} could not be read (${read.reason}). Default settings are in use; check the file's permissions, then restart Pixdesk.`
      }
    }
  }
  if (read.kind === 'corrupt' || !isPlainObject(read.value)) {
    const reason = read.kind === 'corrupt' ? read.reason : 'it does not hold a settings object'
    return restoreDefaults(path, reason)
  }

  let raw: RawSettings = read.value
  const version = raw.version === undefined ? 0 : raw.version
  if (typeof version === 'number' && Number.isInteger(version) && version > SETTINGS_VERSION) {
    const backupPath = await backupFile(path, `v${version}`)
    return {
      settings: clone(defaultSettings),
      notice: {
        message: `The settings file was written by a newer version of Pixdesk (format ${version}; this version reads up to ${SETTINGS_VERSION}). Default settings are in use; a copy of the file was kept as ${basename(backupPath)}.`,
        backupPath
      }
    }
  }

  let migratedFrom: number | undefined
  if (typeof version === 'number' && Number.isInteger(version) && version >= 0 && version < SETTINGS_VERSION) {
    migratedFrom = version
    raw = migrate(raw, version)
  }

  const { settings, resetFields } = repair(raw)
  if (migratedFrom === undefined && resetFields.length === 0) return { settings }

  const backupPath = await backupFile(path, resetFields.length > 0 ? 'invalid' : `pre-v${SETTINGS_VERSION}`)
  await writeJsonAtomic(path, settings)
  if (resetFields.length === 0) return { settings }
  return {
    settings,
    notice: {
      message: `Some settings in ${path} were invalid and were reset to their defaults: ${resetFields.join(', ')}. A copy of the old file was kept as ${basename(backupPath)}.`,
      backupPath,
      resetFields
    }
  }
}

/** Validates and writes the whole settings document atomically. */
export async function saveSettings(dataDir: string, settings: Settings): Promise<Settings> {
  const parsed = settingsSchema.safeParse(settings)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const field = issue?.path.join('.') || undefined
    throw new AppError({
      code: 'settings_invalid',
      field,
      message: `Setting ${field ? `"${field}"` : ''} is invalid: ${issue?.message ?? 'unknown problem'}. Nothing was saved.`
    })
  }
  await mkdir(dataDir, { recursive: true })
  await writeJsonAtomic(settingsPath(dataDir), parsed.data)
  return parsed.data
}

const updateQueues = new Map<string, Promise<unknown>>()

/**
 * Applies a partial change to the stored settings (nested objects merged, arrays replaced) and saves.
 * Updates to one data folder run one after another, so two quick changes never lose one another.
 */
export function updateSettings(dataDir: string, patch: SettingsPatch): Promise<Settings> {
  const previous = updateQueues.get(dataDir) ?? Promise.resolve()
  const next = previous
    .catch(() => undefined)
    .then(async () => {
      const { settings } = await loadSettings(dataDir)
      const { version: _ignored, ...rest } = patch as SettingsPatch & { version?: unknown }
      return saveSettings(dataDir, deepMerge(settings, rest) as Settings)
    })
  updateQueues.set(dataDir, next)
  void next.finally(() => {
    if (updateQueues.get(dataDir) === next) updateQueues.delete(dataDir)
  }).catch(() => undefined)
  return next
}

async function restoreDefaults(path: string, reason: string): Promise<LoadedSettings> {
  const backupPath = await backupFile(path, 'corrupt')
  const settings = clone(defaultSettings)
  await writeJsonAtomic(path, settings)
  return {
    settings,
    notice: {
      message: `The settings file ${path} could not be used (${reason}). Default settings were restored; the old file was kept as ${basename(backupPath)}.`,
      backupPath
    }
  }
}

function migrate(raw: RawSettings, from: number): RawSettings {
  let current = raw
  for (let version = from; version < SETTINGS_VERSION; version++) {
    const step = migrations.find((m) => m.from === version)
    if (!step) throw new Error(`No settings migration from version ${version}`)
    current = step.up(current)
  }
  return current
}

/**
 * Turns a parsed file into valid settings, resetting only what is wrong: fields the file lacks come from
 * the defaults, and each field that fails validation is put back to its default (or removed when it is
 * optional), so one bad value does not cost the user every other setting.
 */
function repair(raw: RawSettings): { settings: Settings; resetFields: string[] } {
  const candidate = deepMerge(defaultSettings, raw) as RawSettings
  const reset = new Set<string>()
  for (let round = 0; round < 50; round++) {
    const result = settingsSchema.safeParse(candidate)
    if (result.success) return { settings: result.data, resetFields: [...reset] }
    for (const issue of result.error.issues) {
      let path = issue.path.map(String)
      // Arrays are reset whole: an index into the defaults means nothing.
      const arrayAt = path.findIndex((_segment, i) => Array.isArray(getAt(candidate, path.slice(0, i))))
      if (arrayAt > 0) path = path.slice(0, arrayAt)
      // A cross-field rule can fail again after its field is reset: widen to the enclosing object.
      while (reset.has(path.join('.')) && path.length > 1) path = path.slice(0, -1)
      if (path.length === 0) return { settings: clone(defaultSettings), resetFields: ['all'] }
      setAt(candidate, path, clone(getAt(defaultSettings, path)))
      reset.add(path.join('.'))
    }
  }
  return { settings: clone(defaultSettings), resetFields: ['all'] }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function deepMerge(base: unknown, overlay: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(overlay)) return overlay === undefined ? clone(base) : clone(overlay)
  const out: Record<string, unknown> = clone(base)
  for (const [key, value] of Object.entries(overlay)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue
    out[key] = key in out ? deepMerge(out[key], value) : clone(value)
  }
  return out
}

function getAt(root: unknown, path: string[]): unknown {
  let node = root
  for (const key of path) {
    if (!isPlainObject(node) && !Array.isArray(node)) return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return node
}

function setAt(root: RawSettings, path: string[], value: unknown): void {
  let node: Record<string, unknown> = root
  for (const key of path.slice(0, -1)) {
    const child = node[key]
    if (!isPlainObject(child)) node[key] = {}
    node = node[key] as Record<string, unknown>
  }
  const last = path[path.length - 1]
  if (last === undefined) return
  if (value === undefined) delete node[last]
  else node[last] = value
}

function clone<T>(value: T): T {
  return value === undefined ? value : (structuredClone(value) as T)
}
