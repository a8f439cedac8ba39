// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { useState } from 'react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { catalogDataSchema } from '@shared/catalog'
import type { TemplateView } from '@shared/views'
import { PromptBox } from '../../renderer/src/components/PromptBox'
import { paramsFor } from '../../renderer/src/lib/models'
import { draftProblem, emptyDraft, sharedParams, type Draft } from '../../renderer/src/lib/draft'
import catalog from '../../resources/models.json'

const unused = { builtIn: true, usage: { count: 0, lastUsedAt: null } }
const templates: TemplateView[] = [
  { id: 'relight', name: 'Relight', category: 'Lighting', prompt: 'Relight the scene with {lighting}.', variables: [{ name: 'lighting', label: 'Lighting', default: 'soft light', options: ['soft light', 'golden hour'], strict: true, required: true }], ...unused },
  { id: 'wrap', name: 'Studio wrap', category: 'Background', prompt: 'On a studio background: {prompt}', variables: [], ...unused },
  {
    id: 'scene',
    name: 'Scene',
    category: 'Background',
    prompt: 'Put it in {scene}.',
    variables: [{ name: 'scene', label: 'Scene', description: 'Where the product stands.', strict: false, required: true }],
    ...unused,
    usage: { count: 3, lastUsedAt: '2026-01-02T00:00:00Z' }
  }
]

function Harness({ onRun }: { onRun(): void }) {
  const [draft, setDraft] = useState<Draft>(emptyDraft)
  return (
    <>
      <PromptBox draft={draft} templates={templates} onChange={(patch) => setDraft((d) => ({ ...d, ...patch }))} onRun={onRun} />
      <output data-testid="draft">{JSON.stringify(draft)}</output>
    </>
  )
}

const draftOf = () => JSON.parse(screen.getByTestId('draft').textContent ?? '{}') as Draft

afterEach(cleanup)

describe('PromptBox', () => {
  it('searches templates after "/" and fills the chosen one with its variable defaults', () => {
    render(<Harness onRun={() => undefined} />)
    const box = screen.getByLabelText('Prompt')
    fireEvent.change(box, { target: { value: '/light' } })
    const options = screen.getAllByRole('option')
    expect(options.map((o) => o.textContent)).toEqual([expect.stringContaining('Relight')])
    fireEvent.keyDown(box, { key: 'Enter' })
    expect(draftOf()).toMatchObject({ templateId: 'relight', variables: { lighting: 'soft light' }, prompt: '' })
    expect(screen.getByText('Relight the scene with soft light.')).toBeTruthy()
    // A template without {prompt} needs no free text, so the text box is gone.
    expect(screen.queryByLabelText('Prompt')).toBeNull()
  })

  it('runs on Ctrl+Enter and Escape abandons a template search', () => {
    const onRun = vi.fn()
    render(<Harness onRun={onRun} />)
    const box = screen.getByLabelText('Prompt')
    fireEvent.change(box, { target: { value: '/stu' } })
    expect(screen.getByRole('listbox', { name: 'Templates' })).toBeTruthy()
    fireEvent.keyDown(box, { key: 'Escape' })
    expect(screen.queryByRole('listbox', { name: 'Templates' })).toBeNull()
    expect(draftOf().prompt).toBe('')
    fireEvent.change(box, { target: { value: 'Warmer tones' } })
    act(() => void fireEvent.keyDown(box, { key: 'Enter', ctrlKey: true }))
    expect(onRun).toHaveBeenCalledTimes(1)
  })

  it('a {prompt} template keeps the text box and previews the filled prompt', () => {
    render(<Harness onRun={() => undefined} />)
    fireEvent.click(screen.getByRole('button', { name: 'Studio wrap' }))
    fireEvent.change(screen.getByLabelText('Text for {prompt}'), { target: { value: 'grey sweep' } })
    expect(screen.getByText('On a studio background: grey sweep')).toBeTruthy()
  })

  it('suggests the most recently used template first, and names a required variable left empty', () => {
    render(<Harness onRun={() => undefined} />)
    const chips = screen.getAllByRole('button').filter((b) => b.classList.contains('chip'))
    expect(chips[0]?.textContent).toBe('Scene')
    fireEvent.click(chips[0]!)
    const field = screen.getByLabelText(/^Scene/)
    expect(field.getAttribute('aria-invalid')).toBe('true')
    expect(screen.getByRole('alert').textContent).toBe('Fill in "Scene" for template "Scene".')
    expect(screen.getByText('Where the product stands.')).toBeTruthy()
    expect(draftProblem(draftOf(), { minModels: 0, needAssets: 0, assets: 0, template: templates[2] })).toBe('Fill in "Scene" for template "Scene".')
    fireEvent.change(field, { target: { value: 'a bright kitchen' } })
    expect(field.getAttribute('aria-invalid')).toBeNull()
    expect(screen.getByLabelText('Prompt to be sent').textContent).toBe('Put it in a bright kitchen.')
    expect(draftProblem(draftOf(), { minModels: 0, needAssets: 0, assets: 0, template: templates[2] })).toBeNull()
  })
})

describe('parameters narrowed to what the models accept', () => {
  const models = catalogDataSchema.parse(catalog).models
  const gpt = models.find((m) => m.id === 'gpt-image-1.5')!
  it('drops a quality Gemini has no setting for, and caps n by the strictest model', () => {
    const draft: Draft = { ...emptyDraft, models: ['gpt-image-1.5', 'gemini-2.5-flash-image'], params: { n: 8, quality: 'low', size: '1024x1024' } }
    expect(sharedParams(models, 'pixapi', draft)).toEqual({ n: 4, size: '1024x1024' })
  })
  it('keeps values one model accepts', () => {
    expect(paramsFor({ ...gpt.capabilities }, { n: 2, quality: 'high', aspectRatio: '16:9' })).toEqual({ n: 2, quality: 'high' })
  })
})
