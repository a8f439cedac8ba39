/**
 * A separate process appending to a history, for the crash and concurrency tests:
 *   node --import tsx history-writer.ts <dataDir> <prefix> <count>
 * Prints "ok <id>" once each append has resolved (the line is on disk), then "done".
 * A count of 0 appends until the process is killed.
 */
import { openHistory } from '../../electron/core/history/history'
import { makeRecord } from './history-fixtures'

async function main(): Promise<void> {
  const [dataDir, prefix, countText] = process.argv.slice(2)
  if (!dataDir || !prefix || countText === undefined) throw new Error('usage: history-writer <dataDir> <prefix> <count>')
  const count = Number(countText)
  const history = openHistory(dataDir)
  // A long prompt makes each line span several pages, so a kill can land in the middle of a write.
  const prompt = `Studio edit for ${prefix}: ${'remove the reflection, keep the label sharp; '.repeat(60)}`
  for (let i = 0; count === 0 || i < count; i++) {
    const id = `${prefix}-${i}`
    await history.append(makeRecord({ id, prompt, startedAt: new Date().toISOString(), batchId: prefix }))
    process.stdout.write(`ok ${id}\n`)
  }
  await history.close()
  process.stdout.write('done\n')
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
