import { copyFile, mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import sharp from 'sharp'
import { test, expect } from './fixtures'

test('watch folders: add a rule for a chosen folder, see it process a new image, pause and delete it', async ({ page, app }) => {
  await app.services.settings.update({ provider: { sandbox: true } })
  const inbox = join(app.home, 'inbox')
  const src = join(app.home, 'src')
  await mkdir(inbox, { recursive: true })
  await mkdir(src, { recursive: true })
  await sharp({ create: { width: 320, height: 240, channels: 3, background: '#3d7cc8' } })
    .png()
    .toFile(join(src, 'mug.png'))

  await app.open(page)
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: /^Watch/ }).click()
  const view = page.getByTestId('watch-view')
  await expect(view.getByText('No watch rules yet.', { exact: false })).toBeVisible()

  await view.getByRole('button', { name: 'New rule' }).click()
  const form = view.getByRole('form', { name: 'New watch rule' })
  app.dialogs.directories.push([inbox])
  await form.getByRole('button', { name: 'Choose folder…' }).click()
  await expect(form.getByText(inbox)).toBeVisible()
  await form.getByLabel('Prompt', { exact: true }).fill('Put the mug on a white background')
  await form.getByLabel('Model').selectOption('gemini-2.5-flash-image')
  await form.getByLabel('Daily budget (credits)').fill('50')
  const axe = await new AxeBuilder({ page }).include('[data-testid="watch-view"]').analyze()
  expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([])
  await form.getByRole('button', { name: 'Add rule' }).click()

  const rule = view.getByRole('listitem', { name: 'Rule inbox' })
  await expect(rule.getByTestId('watch-state')).toHaveText('Watching', { timeout: 20_000 })

  await copyFile(join(src, 'mug.png'), join(inbox, 'mug.png'))
  await expect(rule.getByRole('list', { name: 'Last files' })).toContainText('mug.png', { timeout: 30_000 })
  await expect(rule.getByRole('list', { name: 'Last files' })).toContainText('sent')
  await expect.poll(async () => (await readdir(join(inbox, 'pixdesk')).catch(() => [])).filter((f) => f.endsWith('.png')).length, { timeout: 30_000 }).toBe(1)
  await expect(rule).toContainText('2 cr of 50 cr today')

  await rule.getByRole('button', { name: 'Pause' }).click()
  await expect(rule.getByTestId('watch-state')).toHaveText('Paused')
  await rule.getByRole('button', { name: 'Delete' }).click()
  await expect(view.getByRole('list', { name: 'Watch rules' })).toHaveCount(0)
})

test('watch folders: a rule that runs a pack makes each new image into every target at its exact size', async ({ page, app }) => {
  await app.services.settings.update({ provider: { sandbox: true } })
  const inbox = join(app.home, 'shop-inbox')
  const src = join(app.home, 'src')
  await mkdir(inbox, { recursive: true })
  await mkdir(src, { recursive: true })
  await sharp({ create: { width: 640, height: 480, channels: 3, background: '#c8743d' } })
    .jpeg()
    .toFile(join(src, 'vase.jpg'))

  await app.open(page)
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: /^Watch/ }).click()
  const view = page.getByTestId('watch-view')
  await view.getByRole('button', { name: 'New rule' }).click()
  const form = view.getByRole('form', { name: 'New watch rule' })
  app.dialogs.directories.push([inbox])
  await form.getByRole('button', { name: 'Choose folder…' }).click()
  await form.getByRole('radio', { name: 'Run a pack' }).check()
  // A pack names each target's prompt and size: the edit's prompt and size fields are not offered.
  await expect(form.getByLabel('Prompt', { exact: true })).toHaveCount(0)
  await expect(form.getByLabel('Size', { exact: true })).toHaveCount(0)
  await form.getByRole('button', { name: 'Add rule' }).click()
  await expect(view.getByRole('alert')).toContainText('Choose the pack each new image is made into.')
  await form.getByLabel('Pack', { exact: true }).selectOption('social')
  await form.getByLabel('Model', { exact: true }).selectOption('gemini-3-pro-image')
  const axe = await new AxeBuilder({ page }).include('[data-testid="watch-view"]').analyze()
  expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([])
  await form.getByRole('button', { name: 'Add rule' }).click()

  const rule = view.getByRole('listitem', { name: 'Rule shop-inbox' })
  await expect(rule.getByTestId('watch-state')).toHaveText('Watching', { timeout: 20_000 })
  await expect(rule).toContainText('Pack “Social” · 1080×1080, 1080×1350, 1080×1920')

  await copyFile(join(src, 'vase.jpg'), join(inbox, 'vase.jpg'))
  await expect(rule.getByRole('list', { name: 'Last files' })).toContainText('vase.jpg', { timeout: 30_000 })
  const outputs = async () => (await readdir(join(inbox, 'pixdesk')).catch(() => [])).filter((f) => f.endsWith('.jpg'))
  await expect.poll(async () => (await outputs()).length, { timeout: 60_000 }).toBe(3)
  const sizes = await Promise.all((await outputs()).map(async (f) => sharp(join(inbox, 'pixdesk', f)).metadata()))
  expect(sizes.map((m) => `${m.width}×${m.height}`).sort()).toEqual(['1080×1080', '1080×1350', '1080×1920'])
})
