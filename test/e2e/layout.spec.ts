import type { Page } from '@playwright/test'
import { test, expect } from './fixtures'
import { goTo, openStudio, planSelection, runEditAndComparison, showKit, viewIds, type ViewName } from './studio'

/**
 * Nothing clipped on a small laptop or a common desktop window: no view scrolls sideways, and every
 * control, scrolled to, lies inside the window and inside every container that clips it.
 */

const sizes = [
  { width: 1024, height: 700 },
  { width: 1280, height: 800 }
] as const

interface Finding {
  what: string
  problem: string
}

/** Runs in the page: every scroll container and every control of the app, measured. */
function measureLayout(): Finding[] {
  const findings: Finding[] = []
  const describe = (el: Element) => {
    const name = el.getAttribute('aria-label') ?? el.getAttribute('title') ?? (el.textContent ?? '').trim().slice(0, 60)
    const id = el.getAttribute('data-testid') ?? el.className.toString().split(' ')[0] ?? ''
    return `<${el.tagName.toLowerCase()}${id ? ` .${id}` : ''}> "${name}"`
  }
  const root = document.documentElement
  if (root.scrollWidth > root.clientWidth) findings.push({ what: 'document', problem: `scrolls sideways: ${root.scrollWidth}px in ${root.clientWidth}px` })

  const clips = (el: Element) => {
    const style = getComputedStyle(el)
    return style.overflowX !== 'visible' || style.overflowY !== 'visible'
  }
  for (const el of document.querySelectorAll('.app-shell *')) {
    if (!(el instanceof HTMLElement) || !el.checkVisibility({ visibilityProperty: true, contentVisibilityAuto: true })) continue
    const style = getComputedStyle(el)
    const scrolls = style.overflowX === 'auto' || style.overflowX === 'scroll'
    // A film strip of results scrolls sideways by design; every other container fits its width.
    if (scrolls && !el.matches('.result-strip') && el.scrollWidth > el.clientWidth + 1) {
      findings.push({ what: describe(el), problem: `scrolls sideways: ${el.scrollWidth}px of content in ${el.clientWidth}px` })
    }
  }

  // A picture's frame never spills out of its viewer over what follows it (a version strip, a results table).
  for (const surface of document.querySelectorAll('.viewer-surface')) {
    const viewer = surface.closest('.viewer')
    if (!(surface instanceof HTMLElement) || !viewer || !surface.checkVisibility()) continue
    const [inner, outer] = [surface.getBoundingClientRect(), viewer.getBoundingClientRect()]
    if (inner.top < outer.top - 1 || inner.bottom > outer.bottom + 1) {
      findings.push({ what: describe(surface), problem: `spills out of its viewer: ${Math.round(inner.top)}–${Math.round(inner.bottom)} in ${Math.round(outer.top)}–${Math.round(outer.bottom)}` })
    }
  }

  const controls = document.querySelectorAll('.app-shell button, .app-shell input:not([type="checkbox"]):not([type="radio"]), .app-shell select, .app-shell textarea, .app-shell a[href]')
  for (const control of controls) {
    // Closed <details> and hidden panels hold controls no one can reach: only what is rendered counts.
    if (!(control instanceof HTMLElement) || !control.checkVisibility({ visibilityProperty: true, contentVisibilityAuto: true })) continue
    control.scrollIntoView({ block: 'nearest', inline: 'nearest' })
    const box = control.getBoundingClientRect()
    if (box.width === 0 || box.height === 0) continue
    if (box.left < -1 || box.top < -1 || box.right > window.innerWidth + 1 || box.bottom > window.innerHeight + 1) {
      findings.push({ what: describe(control), problem: `outside the window at ${Math.round(box.left)},${Math.round(box.top)}–${Math.round(box.right)},${Math.round(box.bottom)}` })
      continue
    }
    for (let parent = control.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
      if (!clips(parent)) continue
      const frame = parent.getBoundingClientRect()
      if (box.left < frame.left - 1 || box.right > frame.right + 1 || box.top < frame.top - 1 || box.bottom > frame.bottom + 1) {
        const span = (r: DOMRect) => `${Math.round(r.left)},${Math.round(r.top)}–${Math.round(r.right)},${Math.round(r.bottom)}`
        findings.push({ what: describe(control), problem: `cut by ${describe(parent).slice(0, 80)}: ${span(box)} in ${span(frame)}` })
        break
      }
    }
  }
  return findings
}

async function check(page: Page, state: string): Promise<string[]> {
  const findings = await page.evaluate(measureLayout)
  return findings.map((f) => `${state}: ${f.what} ${f.problem}`)
}

/** Puts a view into the state that holds the most: the batch's table, a history entry's details. */
async function fill(page: Page, view: ViewName): Promise<void> {
  if (view === 'library') await page.getByTestId('asset-tile').first().click()
  if (view === 'batches') {
    await page.getByRole('navigation', { name: 'Batches' }).getByRole('button').filter({ hasText: 'Spring catalogue' }).click()
    await expect(page.getByTestId('batch-item').first()).toBeVisible()
  }
  if (view === 'history') await expect(page.getByTestId('history-row').first()).toBeVisible()
  if (view === 'packs') await planSelection(page)
  if (view === 'kits') await showKit(page)
}

test('no view scrolls sideways and no control is cut off at 1024×700 and 1280×800', async ({ page, app }) => {
  test.setTimeout(300_000)
  await page.emulateMedia({ reducedMotion: 'reduce' })
  await page.setViewportSize(sizes[1])
  await openStudio(page, app)
  await runEditAndComparison(page)
  const found: string[] = []

  for (const size of sizes) {
    await page.setViewportSize(size)
    const at = `${size.width}×${size.height}`
    for (const view of viewIds) {
      await goTo(page, view)
      await fill(page, view)
      found.push(...(await check(page, `${view} at ${at}`)))
    }
    await goTo(page, 'history')
    await page.getByTestId('history-row').filter({ hasText: 'Remove the reflection from the watch face' }).locator('.history-row-select').click()
    await expect(page.getByTestId('history-detail')).toBeVisible()
    found.push(...(await check(page, `history details at ${at}`)))
    await page.getByTestId('history-detail').getByRole('button', { name: 'Close details' }).click()
    await goTo(page, 'batches')
    await page.getByTestId('batches-view').getByRole('button', { name: 'New' }).click()
    await expect(page.getByTestId('batch-form')).toBeVisible()
    found.push(...(await check(page, `new batch at ${at}`)))
    await goTo(page, 'editor')
    await page.getByTestId('editor-view').getByRole('button', { name: /^(Draw|Edit) mask$/ }).click()
    await expect(page.getByRole('toolbar', { name: 'Mask tools' })).toBeVisible()
    found.push(...(await check(page, `editor with the mask tools at ${at}`)))
    await page.getByRole('toolbar', { name: 'Mask tools' }).getByRole('button', { name: 'Done' }).click()
  }
  expect(found).toEqual([])
})

test('a long name is cut in the middle, keeps its ending, and shows whole on hover and keyboard focus', async ({ page, app }) => {
  test.setTimeout(300_000)
  await page.emulateMedia({ reducedMotion: 'reduce' })
  await page.setViewportSize(sizes[0])
  await openStudio(page, app)
  await goTo(page, 'batches')
  await fill(page, 'batches')
  const requestIds = page.getByTestId('batch-item').locator('.cell-source .middle-truncate')
  const cut = requestIds.and(page.locator('[data-cut]')).first()
  await expect(cut).toBeVisible()
  const full = (await cut.getAttribute('data-full'))!
  expect(full).toMatch(/\.jpe?g$/i)
  // The start is cut, the end is whole and visible: ids and file names differ at both ends.
  const tail = cut.locator('.middle-truncate-tail')
  expect(full.endsWith((await tail.textContent())!)).toBe(true)
  const [tailBox, boxOfAll] = [await tail.boundingBox(), await cut.boundingBox()]
  expect(tailBox!.x + tailBox!.width).toBeLessThanOrEqual(boxOfAll!.x + boxOfAll!.width + 1)
  await expect(cut).toHaveAttribute('title', full)
  await expect(cut).toHaveText(full)
  // Read or copied, the name comes out in one piece, not split where it is cut.
  expect(await cut.innerText()).toBe(full)
  await cut.focus()
  const shown = await cut.evaluate((el) => getComputedStyle(el, '::after').content)
  expect(shown).toBe(JSON.stringify(full))

  // In a wide window a name that fits is neither cut nor a tab stop.
  await page.setViewportSize({ width: 1920, height: 1080 })
  const fitting = page.getByTestId('batch-item').locator('.cell-model .middle-truncate').filter({ hasText: 'GPT Image 1.5' }).first()
  await expect(fitting).not.toHaveAttribute('data-cut')
  await expect(fitting).not.toHaveAttribute('tabindex')
})
