import { useState, type ReactNode } from 'react'
import type { AppErrorData } from '@shared/errors'
import type { SettingsPatch } from '@shared/settings'
import { useSettings } from './store'

export function Section({ title, description, children }: { title: string; description?: string; children: ReactNode }) {
  return (
    <section className="settings-section" aria-labelledby={`s-${title}`}>
      <header>
        <h2 id={`s-${title}`}>{title}</h2>
        {description ? <p className="muted">{description}</p> : null}
      </header>
      <div className="settings-body">{children}</div>
    </section>
  )
}

/** Saves one setting and shows the refusal next to it: every field stands on its own. */
export function useSave() {
  const update = useSettings((s) => s.update)
  const [errors, setErrors] = useState<Record<string, AppErrorData | undefined>>({})
  const [saved, setSaved] = useState<string | null>(null)
  const done = (key: string) => {
    setErrors((e) => ({ ...e, [key]: undefined }))
    setSaved(key)
    setTimeout(() => setSaved((s) => (s === key ? null : s)), 1500)
  }
  const fail = (key: string, err: unknown) => setErrors((e) => ({ ...e, [key]: err as AppErrorData }))
  const save = async (key: string, patch: SettingsPatch) => {
    try {
      await update(patch)
      done(key)
    } catch (err) {
      fail(key, err)
    }
  }
  return { save, done, fail, errors, saved }
}

export function TextSetting({ id, label, value, onSave, error, saved, hint, placeholder, type = 'text', action }: { id: string; label: string; value: string; onSave(v: string): void; error?: AppErrorData; saved?: boolean; hint?: ReactNode; placeholder?: string; type?: string; action?: ReactNode }) {
  const [draft, setDraft] = useState(value)
  // A value saved elsewhere (another window, a reset) replaces the draft, as React's docs advise: during render.
  const [shown, setShown] = useState(value)
  if (shown !== value) {
    setShown(value)
    setDraft(value)
  }
  const commit = () => {
    if (draft !== value || error) onSave(draft)
  }
  const input = (
    <input
      id={id}
      type={type}
      value={draft}
      placeholder={placeholder}
      title={type === 'text' && draft ? draft : undefined}
      aria-invalid={error ? true : undefined}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') commit()
      }}
    />
  )
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label} {saved ? <span className="saved">Saved</span> : null}
      </label>
      {action ? (
        <div className="inline-form">
          {input}
          {action}
        </div>
      ) : (
        input
      )}
      {error ? (
        <span className="field-error" role="alert">
          {error.message}
        </span>
      ) : hint ? (
        <span className="hint">{hint}</span>
      ) : null}
    </div>
  )
}

export function Toggle({ label, checked, onChange, description, testId }: { label: string; checked: boolean; onChange(v: boolean): void; description?: string; testId?: string }) {
  return (
    <label className="toggle-row">
      <input type="checkbox" role="switch" checked={checked} aria-checked={checked} onChange={(e) => onChange(e.target.checked)} data-testid={testId} />
      <span className="switch" aria-hidden />
      <span>
        <span className="toggle-label">{label}</span>
        {description ? <span className="hint block">{description}</span> : null}
      </span>
    </label>
  )
}

export type SettingsForm = ReturnType<typeof useSave>
