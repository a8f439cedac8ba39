import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { imagePathsFromArgv, OpenedFiles } from '../../electron/main/open-files'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-open-'))
  await writeFile(join(dir, 'shoe.JPG'), 'x')
  await writeFile(join(dir, 'bag.webp'), 'x')
  await writeFile(join(dir, 'notes.txt'), 'x')
  await mkdir(join(dir, 'folder.png'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('files opened with the app', () => {
  it('takes existing PNG, JPEG and WebP files from the command line, relative to its folder', () => {
    const argv = ['/opt/Pixdesk/pixdesk', '--no-sandbox', 'shoe.JPG', join(dir, 'bag.webp'), 'notes.txt', 'missing.png', 'folder.png']
    expect(imagePathsFromArgv(argv, dir)).toEqual([join(dir, 'shoe.JPG'), join(dir, 'bag.webp')])
    expect(imagePathsFromArgv(['/opt/Pixdesk/pixdesk'], dir)).toEqual([])
  })

  it('holds files opened before the library is ready, then hands them over in order', () => {
    const opened = new OpenedFiles()
    const received: string[][] = []
    opened.add(['/a.png'])
    opened.add([])
    opened.add(['/b.png', '/c.webp'])
    opened.attach((paths) => received.push(paths))
    opened.add(['/d.jpg'])
    expect(received).toEqual([['/a.png', '/b.png', '/c.webp'], ['/d.jpg']])
  })
})
