import { main } from './index'

// The command's process entry: the built bundle (out/cli) starts here, and bin/pixdesk.cjs loads this file
// through tsx in a development checkout.

// A reader that stops early (`pixdesk history --json | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw err
  })
}

main(process.argv.slice(2)).then(
  (code) => {
    // Exit once stdout has drained, rather than waiting for idle sockets or native thread pools to wind down.
    process.exitCode = code
    process.stdout.write('', () => process.exit(code))
  },
  (err: unknown) => {
    // main() maps every expected failure to an exit code itself; reaching here is a bug worth its stack.
    process.stderr.write(`pixdesk: unexpected failure: ${err instanceof Error && err.stack ? err.stack : String(err)}\n`)
    process.exitCode = 1
  }
)
