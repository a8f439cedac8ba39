import { useState } from 'react'
import { defaultBaseUrls, providerFacts, providerIds } from '@shared/providers'
import { namingPlaceholders, sizeMismatchActions, themeChoices, type Settings, type ThemeChoice } from '@shared/settings'
import { ErrorNotice } from '../../components/ErrorNotice'
import { Icon } from '../../components/Icon'
import { formatBytes } from '../../lib/format'
import { Section, TextSetting, Toggle, type SettingsForm } from './fields'
import { KeyRow } from './KeyRow'
import { useKeys } from './keysStore'
import { SandboxToggle } from './SandboxToggle'
import { useSettings } from './store'

/** Each section of the Settings view; they share one form so a field's error and "Saved" stay with it. */
interface SectionProps {
  s: Settings
  form: SettingsForm
}

export function ProviderSection({ s, form: { save, errors } }: SectionProps) {
  return (
      <Section title="Provider" description="Where new requests go. Pixapi serves both Gemini and GPT image models with one key and one credit balance.">
        <div className="segmented" role="radiogroup" aria-label="Active provider">
          {providerIds.map((p) => (
            <button key={p} type="button" role="radio" aria-checked={s.provider.active === p} className={s.provider.active === p ? 'on' : ''} onClick={() => void save('active', { provider: { active: p } })}>
              {providerFacts[p].label}
            </button>
          ))}
        </div>
        <ErrorNotice error={errors.active} compact />
        <SandboxToggle />
      </Section>
  )
}

const themeLabels: Record<ThemeChoice, string> = { system: 'Match the system', light: 'Light', dark: 'Dark' }

export function AppearanceSection({ s, form: { save, errors, saved } }: SectionProps) {
  return (
    <Section title="Appearance" description="Light or dark. Matching the system follows its setting as it changes, day and night.">
      <div className="inline-form">
        <div className="segmented" role="radiogroup" aria-label="Theme">
          {themeChoices.map((t) => (
            <button key={t} type="button" role="radio" aria-checked={s.appearance.theme === t} className={s.appearance.theme === t ? 'on' : ''} onClick={() => void save('theme', { appearance: { theme: t } })}>
              {themeLabels[t]}
            </button>
          ))}
        </div>
        {saved === 'theme' ? <span className="saved">Saved</span> : null}
      </div>
      <ErrorNotice error={errors.theme} compact />
    </Section>
  )
}

export function KeysSection() {
  const keysError = useKeys((st) => st.error)
  return (
      <Section title="API keys" description="Keys are stored in the system keychain and only ever read by the app’s background process. Once saved, a key is never shown again: only its last four characters.">
        <ErrorNotice error={keysError} compact onRetry={() => void useKeys.getState().load()} />
        {providerIds.map((p) => (
          <KeyRow key={p} provider={p} />
        ))}
      </Section>
  )
}

export function EndpointsSection({ s, form: { save, errors, saved } }: SectionProps) {
  return (
      <Section title="Endpoints" description="Override a provider’s address to go through a proxy or gateway.">
        {providerIds.map((p) => (
          <TextSetting
            key={p}
            id={`base-${p}`}
            label={`${providerFacts[p].label} base URL`}
            value={s.provider.baseUrls[p]}
            placeholder={defaultBaseUrls[p]}
            error={errors[`base-${p}`]}
            saved={saved === `base-${p}`}
            onSave={(v) => void save(`base-${p}`, { provider: { baseUrls: { [p]: v || defaultBaseUrls[p] } } })}
          />
        ))}
      </Section>
  )
}

export function OutputSection({ s, form: { save, done, fail, errors, saved } }: SectionProps) {
  const [picking, setPicking] = useState(false)
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
  return (
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
            placeholder="Choose a folder (a typed path must lie inside a library folder)"
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
        <div className="segmented" role="radiogroup" aria-label="Results not at the asked size">
          {sizeMismatchActions.map((action) => (
            <button key={action} type="button" role="radio" aria-checked={s.output.sizeMismatch === action} className={s.output.sizeMismatch === action ? 'on' : ''} onClick={() => void save('sizeMismatch', { output: { sizeMismatch: action } })}>
              {action === 'keep' ? 'Keep results as delivered' : 'Resize results to the asked size'}
            </button>
          ))}
        </div>
        <p className="hint">Every result is compared with the size asked for; one that differs is marked either way, and the record says whether it was resized.</p>
        <Toggle
          label="Sign Content Credentials"
          checked={s.output.contentCredentials}
          onChange={(v) => void save('credentials', { output: { contentCredentials: v } })}
          description="A signed C2PA manifest in every output: the source as ingredient, the model as the generator. Every output says it is AI-made in its XMP whether this is on or off."
        />
        <Toggle label="Copy the source's EXIF to outputs" checked={s.output.copySourceExif} onChange={(v) => void save('exif', { output: { copySourceExif: v } })} description="Camera, lens, copyright and captions of the photo that was edited. Never its orientation or thumbnail." />
        {s.output.copySourceExif ? (
          <Toggle label="Also copy the GPS position" checked={s.output.copySourceGps} onChange={(v) => void save('gps', { output: { copySourceGps: v } })} description="Off: where the photo was taken stays out of the outputs." />
        ) : null}
        <ErrorNotice error={errors.sizeMismatch ?? errors.credentials ?? errors.exif ?? errors.gps} compact />
      </Section>
  )
}

/** Overall deadlines per request stage, in minutes: a server that stalls or trickles cannot hold a request forever. */
const deadlines = [
  { id: 'uploadDeadline', field: 'uploadTimeoutMs', label: 'Upload deadline (minutes)', hint: 'Longest time to send one request with its images. Between 0.2 and 360.' },
  { id: 'answerDeadline', field: 'answerTimeoutMs', label: 'Answer deadline (minutes)', hint: 'Longest wait for the answer once the images are sent. Raise it for very large images.' },
  { id: 'downloadDeadline', field: 'downloadTimeoutMs', label: 'Download deadline per image (minutes)', hint: 'Longest time to fetch one result image from its URL. A result that misses it is paid for and can be downloaded again.' },
  { id: 'taskDeadline', field: 'asyncPollTimeoutMs', label: 'Task wait (minutes)', hint: 'How long an async task is polled before Pixdesk stops waiting for it.' }
] as const

export function RequestsSection({ s, form: { save, errors, saved } }: SectionProps) {
  const num = (v: string) => (v.trim() === '' ? null : Number(v))
  return (
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
        {deadlines.map((d) => (
          <TextSetting
            key={d.id}
            id={d.id}
            type="number"
            label={d.label}
            value={String(Math.round((s.jobs[d.field] / 60_000) * 10) / 10)}
            error={errors[d.id]}
            saved={saved === d.id}
            hint={d.hint}
            onSave={(v) => void save(d.id, { jobs: { [d.field]: Math.round(Number(v) * 60_000) } })}
          />
        ))}
        <Toggle
          label="Notify when a batch or comparison ends"
          checked={s.notifications.batchFinished}
          onChange={(v) => void save('notify', { notifications: { batchFinished: v } })}
          description="A system notification with what was done, what failed and the credits spent (held back by the system's do-not-disturb), and on macOS a dock badge counting failures."
          testId="notify-toggle"
        />
        <ErrorNotice error={errors.notify} compact />
      </Section>
  )
}

export function StorageSection({ s, form: { save, errors, saved } }: SectionProps) {
  return (
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
  )
}
