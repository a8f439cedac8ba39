import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadSettings, saveSettings, settingsPath, updateSettings } from '../../electron/core/settings'
import { defaultSettings, settingsSchema, type Settings } from '../../shared/settings'

let dataDir: string
const file = () => settingsPath(dataDir)
const stored = async () => JSON.parse(await readFile(file(), 'utf8')) as Settings
const backups = async () => (await readdir(dataDir)).filter((n) => n !== 'settings.json').sort()

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pixdesk-settings-'))
})
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true })
})

describe('settings', () => {
  it('gives the defaults for a first run without writing anything', async () => {
    expect(await loadSettings(dataDir)).toEqual({ settings: defaultSettings })
    expect(await readdir(dataDir)).toEqual([])
    expect(defaultSettings).toMatchObject({
      provider: { active: 'pixapi', sandbox: false, baseUrls: { pixapi: 'https://api.pixapi.ai' }, pixapi: { route: 'sync' } },
      output: { folderMode: 'beside-source', namingTemplate: '{name}_{model}_{index}', writeSidecar: false },
      upload: { keepMetadata: false },
      jobs: { concurrency: 2, dailyBudgetCredits: null }
    })
    expect(settingsSchema.safeParse(defaultSettings).success).toBe(true)
  })

  it('saves atomically and loads back what was saved', async () => {
    const changed: Settings = { ...defaultSettings, jobs: { ...defaultSettings.jobs, concurrency: 5, dailyBudgetCredits: 250 } }
    await saveSettings(dataDir, changed)
    expect(await readdir(dataDir)).toEqual(['settings.json'])
    expect(await loadSettings(dataDir)).toEqual({ settings: changed })
  })

  it('backs up a corrupt file, restores the defaults and tells the user', async () => {
    await writeFile(file(), '{"version": 1, "jobs": {')
    const { settings, notice } = await loadSettings(dataDir)
    expect(settings).toEqual(defaultSettings)
    expect(notice?.message).toMatch(/could not be used \(not valid JSON.*Default settings were restored; the old file was kept as settings\.json\.corrupt-/)
    const [backup] = await backups()
    expect(backup).toMatch(/^settings\.json\.corrupt-\d{4}-/)
    expect(notice?.backupPath).toBe(join(dataDir, backup ?? ''))
    expect(await readFile(join(dataDir, backup ?? ''), 'utf8')).toBe('{"version": 1, "jobs": {')
    expect(await stored()).toEqual(defaultSettings)
    // Also for an empty file and a file holding something other than an object.
    await writeFile(file(), '')
    expect((await loadSettings(dataDir)).notice?.message).toMatch(/the file is empty/)
    await writeFile(file(), '[1,2]')
    expect((await loadSettings(dataDir)).notice?.message).toMatch(/does not hold a settings object/)
    expect(await backups()).toHaveLength(3)
  })

  it('resets only the invalid fields and keeps the rest of the user\'s settings', async () => {
    const raw = {
      ...defaultSettings,
      provider: { ...defaultSettings.provider, active: 'openai', baseUrls: { ...defaultSettings.provider.baseUrls, openai: 'ftp://nope' } },
      jobs: { ...defaultSettings.jobs, concurrency: 20, maxAttempts: 4 },
      output: { ...defaultSettings.output, folderMode: 'custom', customFolder: null },
      library: { recentFolders: ['/ok', 'relative/path'], importedFolders: ['/imported'] }
    }
    await writeFile(file(), JSON.stringify(raw))
    const { settings, notice } = await loadSettings(dataDir)
    expect(notice?.resetFields?.sort()).toEqual(['jobs.concurrency', 'library.recentFolders', 'output', 'output.customFolder', 'provider.baseUrls.openai'])
    expect(notice?.message).toMatch(/were invalid and were reset to their defaults: .*jobs\.concurrency/)
    expect(settings.provider.active).toBe('openai')
    expect(settings.provider.baseUrls.openai).toBe('https://api.openai.com')
    expect(settings.jobs).toMatchObject({ concurrency: 2, maxAttempts: 4 })
    expect(settings.output).toEqual(defaultSettings.output)
    expect(settings.library).toEqual({ recentFolders: [], importedFolders: ['/imported'] })
    expect(await stored()).toEqual(settings)
    expect((await backups())[0]).toMatch(/^settings\.json\.invalid-/)
  })

  it('loads a file written before the theme setting with the system theme, silently and without rewriting it', async () => {
    const { appearance: _appearance, ...before } = { ...defaultSettings, jobs: { ...defaultSettings.jobs, concurrency: 4 } }
    const text = JSON.stringify(before)
    await writeFile(file(), text)
    const { settings, notice } = await loadSettings(dataDir)
    expect(notice).toBeUndefined()
    expect(settings.appearance).toEqual({ theme: 'system' })
    expect(settings.jobs.concurrency).toBe(4)
    expect(await readFile(file(), 'utf8')).toBe(text)
    // A chosen theme persists; an unknown one is reset to the default alone.
    await updateSettings(dataDir, { appearance: { theme: 'light' } })
    expect((await loadSettings(dataDir)).settings.appearance.theme).toBe('light')
    await writeFile(file(), JSON.stringify({ ...before, appearance: { theme: 'sepia' } }))
    const repaired = await loadSettings(dataDir)
    expect(repaired.settings.appearance.theme).toBe('system')
    expect(repaired.notice?.resetFields).toEqual(['appearance.theme'])
    expect(repaired.settings.jobs.concurrency).toBe(4)
  })

  it('migrates an unversioned file, keeping its values and a copy of the original', async () => {
    await writeFile(file(), JSON.stringify({ jobs: { concurrency: 3 }, provider: { sandbox: true } }))
    const { settings, notice } = await loadSettings(dataDir)
    expect(notice).toBeUndefined()
    expect(settings).toMatchObject({ version: 1, jobs: { concurrency: 3, maxAttempts: 3 }, provider: { sandbox: true, active: 'pixapi' } })
    expect((await stored()).version).toBe(1)
    expect(await backups()).toEqual([expect.stringMatching(/^settings\.json\.pre-v1-/)])
  })

  it('does not overwrite a file from a newer version', async () => {
    const newer = JSON.stringify({ ...defaultSettings, version: 99, future: true })
    await writeFile(file(), newer)
    const { settings, notice } = await loadSettings(dataDir)
    expect(settings).toEqual(defaultSettings)
    expect(notice?.message).toMatch(/newer version of Pixdesk \(format 99/)
    expect(await readFile(file(), 'utf8')).toBe(newer)
    expect(await backups()).toEqual([expect.stringMatching(/^settings\.json\.v99-/)])
  })

  it('updates with a partial patch, validates it and refuses a bad one with the field named', async () => {
    await updateSettings(dataDir, { jobs: { perProviderConcurrency: { openai: 4 } }, compare: { layout: 'slider' } })
    const updated = await stored()
    expect(updated.jobs.perProviderConcurrency).toEqual({ pixapi: 2, openai: 4, gemini: 2 })
    expect(updated.compare.layout).toBe('slider')

    await expect(updateSettings(dataDir, { jobs: { concurrency: 9 } })).rejects.toMatchObject({
      code: 'settings_invalid',
      data: { field: 'jobs.concurrency' }
    })
    await expect(updateSettings(dataDir, { output: { namingTemplate: '{name}_{colour}_{index}' } })).rejects.toThrow(/placeholders/)
    await expect(updateSettings(dataDir, { output: { namingTemplate: '../{name}_{index}' } })).rejects.toThrow(/folder separators/)
    await expect(updateSettings(dataDir, { output: { folderMode: 'custom' } })).rejects.toThrow(/custom output folder must be chosen/)
    await expect(updateSettings(dataDir, { provider: { baseUrls: { pixapi: 'https://user:pw@api.pixapi.ai' } } })).rejects.toThrow(/without credentials/)
    expect(await stored()).toEqual(updated)

    const withUrl = await updateSettings(dataDir, { provider: { baseUrls: { pixapi: 'http://127.0.0.1:8787/' } } })
    expect(withUrl.provider.baseUrls.pixapi).toBe('http://127.0.0.1:8787')
  })

  it('applies quick successive updates one after another without losing any', async () => {
    await Promise.all([
      updateSettings(dataDir, { jobs: { concurrency: 3 } }),
      updateSettings(dataDir, { upload: { keepMetadata: true } }),
      updateSettings(dataDir, { library: { recentFolders: ['/a'] } }),
      updateSettings(dataDir, { jobs: { dailyBudgetCredits: 100 } })
    ])
    expect(await stored()).toMatchObject({ jobs: { concurrency: 3, dailyBudgetCredits: 100 }, upload: { keepMetadata: true }, library: { recentFolders: ['/a'] } })
  })

  it('never writes keys that are not settings, such as a pasted API key', async () => {
    await writeFile(file(), JSON.stringify({ ...defaultSettings, apiKey: 'sk-test-should-not-persist' }))
    await loadSettings(dataDir)
    await updateSettings(dataDir, { jobs: { maxAttempts: 2 }, apiKey: 'sk-test-should-not-persist' } as never)
    expect(await readFile(file(), 'utf8')).not.toContain('sk-test-should-not-persist')
  })
})
