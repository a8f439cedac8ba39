/**
 * File patterns of a watch rule: `*` and `?` within a name, `**` across folders, `{a,b}` alternatives
 * and `[...]` classes, case-insensitive (cameras and phones disagree on `.JPG`). A pattern without a
 * slash is matched against the file name alone; with one, against the path below the watched folder.
 */
export function compilePatterns(patterns: readonly string[]): (relativePath: string) => boolean {
  const compiled = patterns.map((p) => ({ regex: globToRegExp(p), onPath: p.includes('/') }))
  return (relativePath) => {
    const path = relativePath.split('\\').join('/')
    const name = path.slice(path.lastIndexOf('/') + 1)
    return compiled.some(({ regex, onPath }) => regex.test(onPath ? path : name))
  }
}

export function globToRegExp(glob: string): RegExp {
  let out = ''
  let inGroup = 0
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches no folder or any number of them.
        const slash = glob[i + 2] === '/'
        out += slash ? '(?:.*/)?' : '.*'
        i += slash ? 2 : 1
      } else out += '[^/]*'
    } else if (c === '?') out += '[^/]'
    else if (c === '{') {
      inGroup++
      out += '(?:'
    } else if (c === '}' && inGroup > 0) {
      inGroup--
      out += ')'
    } else if (c === ',' && inGroup > 0) out += '|'
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1)
      if (end < 0) out += '\\['
      else {
        const body = glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')
        out += `[${body}]`
        i = end
      }
    } else out += c.replace(/[.+^$()|\\\]]/g, '\\$&')
  }
  return new RegExp(`^${out}$`, 'i')
}
