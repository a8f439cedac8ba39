import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

/**
 * No import cycles, type-only imports included: a cycle means two modules are one concept split in two,
 * or a lower layer reaching up. Built on the TypeScript compiler's own module resolution (the project's
 * tsconfig, path aliases included), the way madge reports cycles; madge itself does not install beside
 * this TypeScript version.
 */
const root = resolve(__dirname, '..', '..')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path)
    return /\.(ts|tsx)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

function compilerOptions(tsconfig: string): ts.CompilerOptions {
  const config = ts.readConfigFile(join(root, tsconfig), (path) => ts.sys.readFile(path))
  return ts.parseJsonConfigFileContent(config.config, ts.sys, root).options
}

/** Each project file and the project files it imports (dependencies outside the folders are left out). */
function importGraph(folders: string[], tsconfig: string): Map<string, string[]> {
  const options = compilerOptions(tsconfig)
  const files = folders.flatMap((folder) => sourceFiles(join(root, folder)))
  const inProject = new Set(files)
  const graph = new Map<string, string[]>()
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
    const targets = importedFiles
      .map((imported) => ts.resolveModuleName(imported.fileName, file, options, ts.sys).resolvedModule?.resolvedFileName)
      .filter((target): target is string => target !== undefined && inProject.has(target))
    graph.set(file, [...new Set(targets)])
  }
  return graph
}

/** Strongly connected components of more than one file, or a file importing itself (Tarjan's algorithm). */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (file: string): void => {
    index.set(file, counter)
    low.set(file, counter++)
    stack.push(file)
    onStack.add(file)
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next)
        low.set(file, Math.min(low.get(file)!, low.get(next)!))
      } else if (onStack.has(next)) low.set(file, Math.min(low.get(file)!, index.get(next)!))
    }
    if (low.get(file) !== index.get(file)) return
    const component: string[] = []
    let member: string
    do {
      member = stack.pop()!
      onStack.delete(member)
      component.push(member)
    } while (member !== file)
    if (component.length > 1 || graph.get(file)?.includes(file)) found.push(component.sort())
  }
  for (const file of graph.keys()) if (!index.has(file)) visit(file)
  return found
}

describe('module graph', () => {
  it('has no import cycle in the Node side (electron/, shared/)', () => {
    const graph = importGraph(['electron', 'shared'], 'tsconfig.node.json')
    expect(graph.size).toBeGreaterThan(100)
    expect(cycles(graph).map((c) => c.map((f) => relative(root, f)))).toEqual([])
  })

  it('has no import cycle in the renderer', () => {
    const graph = importGraph(['renderer/src', 'shared'], 'tsconfig.web.json')
    expect(graph.size).toBeGreaterThan(50)
    expect(cycles(graph).map((c) => c.map((f) => relative(root, f)))).toEqual([])
  })

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']]
    ])
    expect(cycles(graph)).toEqual([['a', 'b', 'c']])
  })
})
