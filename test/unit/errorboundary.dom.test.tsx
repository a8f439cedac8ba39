// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, expect, it, vi } from 'vitest'
import { AppError } from '@shared/errors'
import { ErrorBoundary } from '../../renderer/src/components/ErrorBoundary'

afterEach(cleanup)

let fail = true
function Fragile() {
  if (fail) throw new AppError({ code: 'internal', message: 'The batch list could not be drawn.' })
  return <p>All good</p>
}

it('shows a failing view’s message in place and recovers on retry', () => {
  const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined)
  render(
    <ErrorBoundary resetKey="batches">
      <Fragile />
    </ErrorBoundary>
  )
  expect(screen.getByRole('alert').textContent).toContain('The batch list could not be drawn.')
  fail = false
  fireEvent.click(screen.getByRole('button', { name: 'Try again' }))
  expect(screen.getByText('All good')).toBeTruthy()
  quiet.mockRestore()
})
