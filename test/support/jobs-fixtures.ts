import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { bundledCatalog } from '../../electron/core/catalog'
import { openHistory, type History } from '../../electron/core/history/history'
import { openJobEngine } from '../../electron/core/jobs/pipeline'
import type { JobEngine } from '../../electron/core/jobs/engine'
import { loadTemplates } from '../../electron/core/templates'
import type { JobEvent } from '../../electron/core/jobs/model'
import { defaultSettings, type Settings } from '../../shared/settings'

/** Distinct small product-like images (a coloured square on a background), one per index. */
export async function makeImages(dir: string, count: number, size = 64): Promise<string[]> {
  await mkdir(dir, { recursive: true })
  const paths: string[] = []
  for (let i = 0; i < count; i++) {
    const path = join(dir, `product-${String(i).padStart(3, '0')}.png`)
    const inner = Math.round(size / 2)
    await sharp({ create: { width: size, height: size, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 } } })
      .composite([{ input: { create: { width: inner, height: inner, channels: 3, background: { r: 255 - (i % 256), g: 200, b: i % 7 } } }, left: i % (size - inner), top: 8 }])
      .png()
      .toFile(path)
    paths.push(path)
  }
  return paths
}

export function sandboxSettings(overrides: Partial<Settings['jobs']> = {}): Settings {
  return {
    ...defaultSettings,
    provider: { ...defaultSettings.provider, sandbox: true },
    jobs: { ...defaultSettings.jobs, ...overrides }
  }
}

export interface TestEngine {
  engine: JobEngine
  history: History
  events: JobEvent[]
  settings: Settings
  close(): Promise<void>
}

/** The real engine and pipeline against a sandbox address, with short backoffs for tests. */
export async function openTestEngine(dataDir: string, sandboxUrl: () => string | undefined, jobs: Partial<Settings['jobs']> = {}): Promise<TestEngine> {
  const settings = sandboxSettings(jobs)
  const history = openHistory(dataDir)
  const { engine } = await openJobEngine({
    dataDir,
    catalog: bundledCatalog(),
    history,
    getKey: async () => null,
    settings: () => settings,
    sandboxUrl,
    templates: loadTemplates(),
    backoff: { baseMs: 20, maxMs: 200, jitterMs: 10 },
    probe: { baseMs: 50, maxMs: 400 },
    timeouts: { pollIntervalMs: 20, pollMaxIntervalMs: 50, connectMs: 2000 }
  })
  const events: JobEvent[] = []
  engine.on((e) => events.push(e))
  return {
    engine,
    history,
    events,
    settings,
    async close() {
      await engine.close()
      await history.close()
    }
  }
}

/** Resolves when the batch reports finished (or when `until` holds), checking on every event. */
export function waitFor(engine: JobEngine, until: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (until()) return resolve()
    const off = engine.on(() => {
      if (until()) {
        off()
        resolve()
      }
    })
  })
}
