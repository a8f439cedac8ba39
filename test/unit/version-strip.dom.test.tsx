// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, expect, it, vi } from 'vitest'
import type { LineageVersionView, LineageView } from '@shared/views'
import { VersionStrip } from '../../renderer/src/features/editor/VersionStrip'

afterEach(cleanup)

function version(recordId: string, depth: number, prompt: string, over: Partial<LineageVersionView> = {}): LineageVersionView {
  return {
    recordId,
    depth,
    at: '2026-11-30T10:00:00.000Z',
    prompt,
    model: 'gemini-2.5-flash-image',
    provider: 'pixapi',
    status: 'succeeded',
    credits: 2,
    estimated: false,
    outputs: [{ index: 0, url: `http://assets/output/${recordId}/0`, name: `${recordId}.png`, width: 64, height: 48, bytes: 100, missing: false }],
    input: { name: 'shoe.png', url: null },
    ...over
  }
}

const lineage: LineageView = {
  focusId: 'r3',
  credits: 6,
  versions: [
    version('r1', 0, 'white background'),
    version('r2', 1, 'soft shadow', { parent: { recordId: 'r1', outputIndex: 0 }, outputs: [{ index: 0, url: null, name: 'r2.png', width: 64, height: 48, bytes: 100, missing: true }] }),
    version('r3', 2, 'warmer light', { parent: { recordId: 'r2', outputIndex: 0 } })
  ]
}

it('shows every version with the chain total, marks a missing file and keeps it out of reach of branch and compare', () => {
  const onBranch = vi.fn()
  const onToggleCompare = vi.fn()
  render(<VersionStrip lineage={lineage} baseRecordId="r1" comparing={['r3']} onBranch={onBranch} onToggleCompare={onToggleCompare} />)
  expect(screen.getAllByTestId('version-chip')).toHaveLength(3)
  expect(screen.getByTestId('chain-total').textContent).toContain('6')
  expect(screen.getByText('file missing')).toBeTruthy()

  const missing = screen.getByRole('button', { name: /\bv2\b.*soft shadow.*file missing$/ })
  expect((missing as HTMLButtonElement).disabled).toBe(true)
  expect((screen.getByLabelText('Compare v2') as HTMLInputElement).disabled).toBe(true)
  expect(screen.getByRole('button', { name: /^v1\b/ }).getAttribute('aria-pressed')).toBe('true')
  expect((screen.getByLabelText('Compare v3') as HTMLInputElement).checked).toBe(true)

  fireEvent.click(screen.getByRole('button', { name: /^v3\b/ }))
  expect(onBranch).toHaveBeenCalledWith(lineage.versions[2])
  fireEvent.click(screen.getByLabelText('Compare v1'))
  expect(onToggleCompare).toHaveBeenCalledWith(lineage.versions[0])
})
