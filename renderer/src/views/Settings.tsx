import { useEffect, useState, type ReactNode } from 'react'
import type { AppErrorData } from '@shared/errors'
import { providerIds, type ProviderId } from '@shared/records'
import { defaultBaseUrls, namingPlaceholders, type Settings as SettingsModel, type SettingsPatch } from '@shared/settings'
import type { SandboxView } from '@shared/views'
import { api } from '../api'
import { ErrorNotice } from '../components/ErrorNotice'
import { Icon } from '../components/Icon'
import { formatBytes } from '../lib/format'
import { useKeys } from '../stores/keys'
import { useSettings } from '../stores/settings'

export const providerNames: Record<ProviderId, string> = { pixapi: 'Pixapi', openai: 'OpenAI (direct)', gemini: 'Google Gemini (direct)' }

function Section({ title, description, children }: { title: string; description?: string; children: ReactNode }) {
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
function useSave() {
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

function TextSetting({ id, label, value, onSave, error, saved, hint, placeholder, type = 'text', action }: { id: string; label: string; value: string; onSave(v: string): void; error?: AppErrorData; saved?: boolean; hint?: ReactNode; placeholder?: string; type?: string; action?: ReactNode }) {
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

function Toggle({ label, checked, onChange, description, testId }: { label: string; checked: boolean; onChange(v: boolean): void; description?: string; testId?: string }) {
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

export function KeyRow({ provider }: { provider: ProviderId }) {
  const status = useKeys((s) => s.statuses.find((k) => k.provider === provider))
  const test = useKeys((s) => s.tests[provider])
  const { save, remove, test: runTest } = useKeys.getState()
  const [value, setValue] = useState('')
  const [error, setError] = useState<AppErrorData | null>(null)
  const [busy, setBusy] = useState(false)

  const submit = async () => {
    setBusy(true)
    setError(null)
    try {
      await save(provider, value)
      // The key leaves the renderer with this call; the field is cleared so it is not kept in the page.
      setValue('')
    } catch (err) {
      setError(err as AppErrorData)
    } finally {
      setBusy(false)
    }
  }
  const onDelete = async () => {
    setBusy(true)
    setError(null)
    try {
      await remove(provider)
    } catch (err) {
      setError(err as AppErrorData)
    } finally {
      setBusy(false)
    }
  }

  const state = !status ? 'Unknown' : status.set ? (status.source === 'environment' ? 'From environment' : `Set · …${status.last4 ?? ''}`) : 'Not set'
  return (
    <div className="key-row" data-testid={`key-${provider}`}>
      <div className="key-head">
        <Icon name="key" />
        <strong>{providerNames[provider]}</strong>
        <span className={`pill ${status?.set ? 'good' : 'muted'}`} data-testid={`key-status-${provider}`}>
          {state}
        </span>
        {status?.problem ? <span className="field-error">{status.problem.message}</span> : null}
      </div>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault()
          void submit()
        }}
      >
        <input
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={value}
          placeholder={status?.set ? 'Paste a new key to replace it' : 'Paste your API key'}
          aria-label={`${providerNames[provider]} API key`}
          aria-invalid={error?.field === 'key' || undefined}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit" className="btn primary small" disabled={busy || !value.trim()}>
          {status?.set ? 'Replace' : 'Save'}
        </button>
        <button type="button" className="btn small" disabled={busy || !status?.set} onClick={() => void runTest(provider)}>
          Test
        </button>
        <button type="button" className="btn small danger" disabled={busy || !status?.set || status.source === 'environment'} onClick={() => void onDelete()}>
          Delete
        </button>
      </form>
      {error ? (
        <span className="field-error" role="alert">
          {error.message}
        </span>
      ) : null}
      {test ? (
        'pending' in test ? (
          <span className="hint" role="status">
            Checking the key…
          </span>
        ) : (
          <span className={test.ok ? 'ok-text' : test.checked ? 'field-error' : 'hint'} role="status">
            {test.message}
          </span>
        )
      ) : null}
    </div>
  )
}

export function SandboxToggle() {
  const settings = useSettings((s) => s.settings)
  const { save, errors } = useSave()
  const [status, setStatus] = useState<SandboxView | null>(null)
  const on = settings?.provider.sandbox ?? false
  useEffect(() => {
    let live = true
    api.invoke('sandbox.status', {}).then(
      (s) => live && setStatus(s),
      () => live && setStatus(null)
    )
    return () => {
      live = false
    }
  }, [on])
  if (!settings) return null
  return (
    <div>
      <Toggle
        label="Sandbox mode"
        testId="sandbox-toggle"
        checked={on}
        onChange={(v) => void save('sandbox', { provider: { sandbox: v } })}
        description="Requests go to a built-in local server that simulates the Pixapi API: no key, no credits, real files and history. Outputs are simulated edits, marked as sandbox in the history."
      />
      {on && status ? <span className="hint">{status.running ? `Sandbox server running${status.url ? ` at ${status.url}` : ''}` : 'Sandbox server starts with the first request'}</span> : null}
      <ErrorNotice error={errors.sandbox} compact />
    </div>
  )
}

export function SettingsView() {
  const settings = useSettings((s) => s.settings)
  const loadError = useSettings((s) => s.error)
  const notice = useSettings((s) => s.notice)
  const keysError = useKeys((s) => s.error)
  const { save, done, fail, errors, saved } = useSave()
  const [picking, setPicking] = useState(false)

  if (!settings) {
    return (
      <div className="view">
        <header className="view-header">
          <h1>Settings</h1>
        </header>
        {loadError ? <ErrorNotice error={loadError} onRetry={() => void useSettings.getState().load()} /> : <p className="muted">Loading settings…</p>}
      </div>
    )
  }

  const s: SettingsModel = settings
  const pickFolder = () => {
    setPicking(true)
    useSettings
      .getState()
      .pickOutputFolder()
      .then(
        (next) => next && done('customFolder'),
        (err) => fail('customFolder', err)
      )
      .finally(() => setPicking(false))
  }
  const num = (v: string) => (v.trim() === '' ? null : Number(v))

  return (
    <div className="view scroll" data-testid="settings-view">
      <header className="view-header">
        <h1>Settings</h1>
      </header>
      {notice ? <ErrorNotice error={{ code: 'settings_invalid', message: notice.message }} onDismiss={() => useSettings.getState().dismissNotice()} /> : null}
      <div className="settings">
        <Section title="Provider" description="Where new requests go. Pixapi serves both Gemini and GPT image models with one key and one credit balance.">
          <div className="segmented" role="radiogroup" aria-label="Active provider">
            {providerIds.map((p) => (
              <button key={p} type="button" role="radio" aria-checked={s.provider.active === p} className={s.provider.active === p ? 'on' : ''} onClick={() => void save('active', { provider: { active: p } })}>
                {providerNames[p]}
              </button>
            ))}
          </div>
          <ErrorNotice error={errors.active} compact />
          <SandboxToggle />
        </Section>

        <Section title="API keys" description="Keys are stored in the system keychain and only ever read by the app’s background process. Once saved, a key is never shown again: only its last four characters.">
          <ErrorNotice error={keysError} compact onRetry={() => void useKeys.getState().load()} />
          {providerIds.map((p) => (
            <KeyRow key={p} provider={p} />
          ))}
        </Section>

        <Section title="Endpoints" description="Override a provider’s address to go through a proxy or gateway.">
          {providerIds.map((p) => (
            <TextSetting
              key={p}
              id={`base-${p}`}
              label={`${providerNames[p]} base URL`}
              value={s.provider.baseUrls[p]}
              placeholder={defaultBaseUrls[p]}
              error={errors[`base-${p}`]}
              saved={saved === `base-${p}`}
              onSave={(v) => void save(`base-${p}`, { provider: { baseUrls: { [p]: v || defaultBaseUrls[p] } } })}
            />
          ))}
        </Section>

        <Section title="Output" description="Where edited images are written. Originals are never modified.">
          <div className="segmented" role="radiogroup" aria-label="Where outputs go">
            {(['beside-source', 'custom'] as const).map((mode) => (
              <button key={mode} type="button" role="radio" aria-checked={s.output.folderMode === mode} className={s.output.folderMode === mode ? 'on' : ''} onClick={() => (mode === 'custom' && !s.output.customFolder ? pickFolder() : void save('folderMode', { output: { folderMode: mode } }))}>
                {mode === 'beside-source' ? 'A “pixdesk” folder next to each source' : 'One folder of my choice'}
              </button>
            ))}
          </div>
          <ErrorNotice error={errors.folderMode ?? (s.output.folderMode === 'custom' ? undefined : errors.customFolder)} compact />
          {s.output.folderMode === 'custom' ? (
            <TextSetting
              id="custom-folder"
              label="Output folder"
              value={s.output.customFolder ?? ''}
              placeholder="Type or paste a folder path, or choose one"
              error={errors.customFolder}
              saved={saved === 'customFolder'}
              onSave={(v) => void save('customFolder', { output: { customFolder: v.trim() || null } })}
              action={
                <button type="button" className="btn" disabled={picking} onClick={pickFolder}>
                  <Icon name="folder" /> Choose…
                </button>
              }
            />
          ) : null}
          <TextSetting
            id="naming"
            label="File naming"
            value={s.output.namingTemplate}
            error={errors.naming}
            saved={saved === 'naming'}
            hint={`Placeholders: ${namingPlaceholders.map((p) => `{${p}}`).join(' ')}. Existing files are never overwritten.`}
            onSave={(v) => void save('naming', { output: { namingTemplate: v } })}
          />
          <Toggle label="Write a sidecar file" checked={s.output.writeSidecar} onChange={(v) => void save('sidecar', { output: { writeSidecar: v } })} description="A .json next to each output with the prompt, model, parameters, cost and request ids." />
          <Toggle label="Keep photo metadata when uploading" checked={s.upload.keepMetadata} onChange={(v) => void save('meta', { upload: { keepMetadata: v } })} description="Off: EXIF and XMP (including GPS location) are stripped from the copies sent to the provider." />
          <ErrorNotice error={errors.sidecar ?? errors.meta} compact />
        </Section>

        <Section title="Requests and budget">
          <TextSetting id="concurrency" type="number" label="Requests at a time (1–8)" value={String(s.jobs.concurrency)} error={errors.concurrency} saved={saved === 'concurrency'} onSave={(v) => void save('concurrency', { jobs: { concurrency: Number(v) } })} />
          <TextSetting
            id="budget"
            type="number"
            label="Daily budget (credits)"
            value={s.jobs.dailyBudgetCredits === null ? '' : String(s.jobs.dailyBudgetCredits)}
            placeholder="No limit"
            error={errors.budget}
            saved={saved === 'budget'}
            hint="Work stops before a request would go over it. Leave empty for no limit."
            onSave={(v) => void save('budget', { jobs: { dailyBudgetCredits: num(v) } })}
          />
          <Toggle label="Notify when a batch or comparison ends" checked={s.notifications.batchFinished} onChange={(v) => void save('notify', { notifications: { batchFinished: v } })} description="A system notification with what was done, what failed and the credits spent (held back by the system's do-not-disturb), and on macOS a dock badge counting failures." testId="notify-toggle" />
          <ErrorNotice error={errors.notify} compact />
        </Section>

        <Section title="Storage">
          <TextSetting
            id="cache"
            type="number"
            label="Thumbnail cache (MB)"
            value={String(Math.round(s.cache.thumbnailCacheBytes / (1024 * 1024)))}
            error={errors.cache}
            saved={saved === 'cache'}
            hint={`Currently ${formatBytes(s.cache.thumbnailCacheBytes)}. Between 16 MB and 64 GB.`}
            onSave={(v) => void save('cache', { cache: { thumbnailCacheBytes: Math.round(Number(v) * 1024 * 1024) } })}
          />
        </Section>
      </div>
    </div>
  )
}
