/**
 * A separate process adding templates to the user's templates file until a write fails, for the crash
 * test: run under a file-size limit (ulimit -f), the write that crosses it is cut off halfway.
 *   node --import tsx template-writer.ts <dataDir>
 * Prints "ok <n>" after each change is on disk, then "failed <code>" and exits 3.
 */
import { openTemplateStore } from '../../electron/core/template-store'

async function main(): Promise<void> {
  const [dataDir] = process.argv.slice(2)
  if (!dataDir) throw new Error('usage: template-writer <dataDir>')
  const store = await openTemplateStore({ dataDir, builtIns: [] })
  const prompt = `${'Keep the label sharp and the product unchanged. '.repeat(150)}{a}`
  for (let i = 0; ; i++) {
    try {
      await store.create({ name: `Template ${i}`, prompt, variables: [{ name: 'a', label: 'A', default: 'b' }] })
    } catch (err) {
      process.stdout.write(`failed ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`)
      process.exit(3)
    }
    process.stdout.write(`ok ${i + 1}\n`)
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
