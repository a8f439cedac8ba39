import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

/**
 * No code under electron/ may weaken a page's isolation, sandbox or web security, whatever the window:
 * every such preference, wherever it is written, must be its safe literal value, and every window or
 * view made with `new` must say so explicitly.
 */
const root = resolve(import.meta.dirname, '..', '..')

/** The only value each preference may be given. */
const SAFE_VALUES: Record<string, boolean> = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  enableRemoteModule: false,
  plugins: false
}
/**
 * Names the app also uses for its own things (the Pixapi sandbox server): checked only in files that
 * import Electron, where they can only mean the web preference.
 */
const ELECTRON_ONLY_IN_ELECTRON_FILES = new Set(['sandbox', 'plugins'])
/** Preferences that have no safe value at all. */
const FORBIDDEN_PREFERENCES = new Set(['enableBlinkFeatures', 'preloadURL'])
/** Command-line switches and calls that switch protections off for the whole app. */
const FORBIDDEN_SWITCHES = /^(no-sandbox|disable-web-security|ignore-certificate-errors|allow-running-insecure-content|disable-site-isolation-trials|remote-debugging-port|js-flags)$/
const WINDOW_CLASSES = new Set(['BrowserWindow', 'BrowserView', 'WebContentsView'])

const nameOf = (node: ts.PropertyName | ts.MemberName): string | undefined =>
  ts.isIdentifier(node) || ts.isStringLiteral(node) || ts.isPrivateIdentifier(node) ? node.text : undefined

const literalBoolean = (node: ts.Expression): boolean | undefined =>
  node.kind === ts.SyntaxKind.TrueKeyword ? true : node.kind === ts.SyntaxKind.FalseKeyword ? false : undefined

/** Every weakening in one source file, as "file:line: what". */
export function weakenings(fileName: string, source: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true)
  const problems: string[] = []
  const importsElectron = file.statements.some(
    (s) => ts.isImportDeclaration(s) && ts.isStringLiteral(s.moduleSpecifier) && s.moduleSpecifier.text === 'electron'
  )
  const at = (node: ts.Node, what: string) => problems.push(`${fileName}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${what}`)

  const checkValue = (node: ts.Node, name: string, value: ts.Expression | undefined) => {
    if (FORBIDDEN_PREFERENCES.has(name)) return at(node, `${name} is never allowed`)
    if (!(name in SAFE_VALUES)) return
    if (ELECTRON_ONLY_IN_ELECTRON_FILES.has(name) && !importsElectron) return
    const literal = value ? literalBoolean(value) : undefined
    if (literal !== SAFE_VALUES[name]) at(node, `${name} must be the literal ${SAFE_VALUES[name]}, found ${value ? value.getText(file) : 'a shorthand'}`)
  }

  const visit = (node: ts.Node) => {
    if (ts.isPropertyAssignment(node)) {
      const name = nameOf(node.name)
      if (name) checkValue(node, name, node.initializer)
    } else if (ts.isShorthandPropertyAssignment(node)) {
      checkValue(node, node.name.text, undefined)
    } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(node.left)) {
      const name = nameOf(node.left.name)
      if (name) checkValue(node, name, node.right)
    } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text
      const first = node.arguments[0]
      if (method === 'disableSandbox') at(node, 'app.disableSandbox() is never allowed')
      if ((method === 'appendSwitch' || method === 'appendArgument') && first && ts.isStringLiteralLike(first) && FORBIDDEN_SWITCHES.test(first.text.replace(/^--/, ''))) {
        at(node, `the ${first.text} switch is never allowed`)
      }
    } else if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && WINDOW_CLASSES.has(node.expression.text)) {
      const options = node.arguments?.[0]
      const prefs =
        options && ts.isObjectLiteralExpression(options)
          ? options.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && nameOf(p.name) === 'webPreferences')
          : undefined
      const explicit = prefs && ts.isObjectLiteralExpression(prefs.initializer) ? prefs.initializer.properties.map((p) => (p.name ? nameOf(p.name) : undefined)) : []
      for (const required of ['sandbox', 'contextIsolation', 'nodeIntegration', 'webSecurity']) {
        if (!explicit.includes(required)) at(node, `new ${node.expression.text} must set webPreferences.${required} explicitly, in a literal`)
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(file)
  return problems
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sources(path)
    return /\.(ts|tsx|js|mjs|cjs)$/.test(entry.name) ? [path] : []
  })
}

describe('web preferences under electron/', () => {
  it('never weaken isolation, the sandbox or web security', () => {
    const files = sources(join(root, 'electron'))
    expect(files.length).toBeGreaterThan(20)
    const problems = files.flatMap((file) => weakenings(relative(root, file), readFileSync(file, 'utf8')))
    expect(problems).toEqual([])
  })

  it('the app window is made with every protection spelled out', () => {
    const security = readFileSync(join(root, 'electron', 'main', 'security.ts'), 'utf8')
    expect(security).toMatch(/new BrowserWindow\(\{/)
    expect(weakenings('security.ts', security)).toEqual([])
  })

  it('catches each kind of weakening (the check itself can fail)', () => {
    const bad = `
      import { app, BrowserWindow } from 'electron'
      const a = new BrowserWindow({ webPreferences: { sandbox: false, contextIsolation: true, nodeIntegration: false, webSecurity: true } })
      const b = new BrowserWindow({ width: 10 })
      const c = { webPreferences: { contextIsolation: !packaged, nodeIntegration: true, webSecurity: false } }
      const d = { allowRunningInsecureContent: true, experimentalFeatures: true, webviewTag: true, enableBlinkFeatures: 'X', nodeIntegrationInSubFrames: true }
      prefs.sandbox = false
      const e = { sandbox }
      app.commandLine.appendSwitch('no-sandbox')
      app.commandLine.appendSwitch('--disable-web-security')
      app.disableSandbox()
    `
    const found = weakenings('bad.ts', bad)
    for (const what of [
      'sandbox must be the literal true, found false',
      'new BrowserWindow must set webPreferences.sandbox explicitly',
      'contextIsolation must be the literal true, found !packaged',
      'nodeIntegration must be the literal false, found true',
      'webSecurity must be the literal true, found false',
      'allowRunningInsecureContent must be the literal false',
      'experimentalFeatures must be the literal false',
      'webviewTag must be the literal false',
      'enableBlinkFeatures is never allowed',
      'nodeIntegrationInSubFrames must be the literal false',
      'sandbox must be the literal true, found a shorthand',
      'the no-sandbox switch is never allowed',
      'the --disable-web-security switch is never allowed',
      'app.disableSandbox() is never allowed'
    ]) {
      expect(found.some((p) => p.includes(what)), what).toBe(true)
    }
    expect(found.some((p) => p.includes('bad.ts:7:'))).toBe(true)
  })
})
