import { useEffect, useId, type ReactNode } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { Pack } from '@shared/packs'
import type { TemplateView } from '@shared/views'
import { DEFAULT_WATCH_PATTERNS, type WatchFileEvent, type WatchRuleState, type WatchRuleView } from '@shared/watch'
import { ErrorNotice } from '../../components/ErrorNotice'
import { Icon } from '../../components/Icon'
import { ViewHeader } from '../../components/ViewHeader'
import { MiddleTruncate } from '../../components/MiddleTruncate'
import { formatCredits, formatTime, plural } from '../../lib/format'
import { modelLabel } from '../../lib/models'
import { usePacks } from '../packs/store'
import { useCatalog } from '../settings/catalogStore'
import { useWatch, type WatchForm } from './store'
import './watch.css'

const STATE_LABEL: Record<WatchRuleState, string> = {
  starting: 'Starting',
  watching: 'Watching',
  paused: 'Paused',
  waiting_network: 'Waiting for network',
  budget_reached: 'Budget reached',
  folder_missing: 'Folder missing',
  folder_unreadable: 'Folder unreadable',
  error: 'Error'
}

const OUTCOME_LABEL: Record<WatchFileEvent['outcome'], string> = {
  queued: 'sent',
  skipped_duplicate: 'already done',
  held_budget: 'held (budget)',
  unusable: 'not usable',
  failed: 'failed'
}

const fileName = (path: string) => path.split(/[\\/]/).pop() ?? path

function FileList({ label, events }: { label: string; events: WatchFileEvent[] }) {
  if (!events.length) return null
  return (
    <div className="watch-files">
      <h4>{label}</h4>
      <ul aria-label={label}>
        {events.slice(0, 5).map((e) => (
          <li key={`${e.path}-${e.at}-${e.outcome}`} title={e.message ?? e.path}>
            <span className="watch-file-name">{fileName(e.path)}</span> <span className="muted">{OUTCOME_LABEL[e.outcome]} · {formatTime(e.at)}</span>
            {e.outcome === 'failed' || e.outcome === 'unusable' ? <span className="watch-file-why">{e.message}</span> : null}
          </li>
        ))}
      </ul>
    </div>
  )
}

const samePatterns = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((p, i) => p === b[i])

function RuleCard({ view }: { view: WatchRuleView }) {
  const { rule } = view
  const { models, templates } = useCatalog(useShallow((s) => ({ models: s.models, templates: s.templates })))
  const packs = usePacks((s) => s.packs)
  const store = useWatch.getState()
  const pack = rule.packId ? packs.find((p) => p.id === rule.packId) : undefined
  const budget = rule.dailyBudget === null ? 'no daily cap' : `${formatCredits(view.spentToday)} of ${formatCredits(rule.dailyBudget)} today`
  return (
    <li className="watch-rule" aria-label={`Rule ${rule.name}`}>
      <div className="watch-rule-head">
        <h3>{rule.name}</h3>
        <span className={`watch-state state-${view.state}`} data-testid="watch-state">
          {STATE_LABEL[view.state]}
        </span>
        <span className="spacer" />
        <button type="button" className="btn small" onClick={() => void store.setPaused(rule.id, !rule.paused)}>
          <Icon name={rule.paused ? 'play' : 'pause'} /> {rule.paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" className="btn small" onClick={() => store.startEdit(rule.id)}>
          <Icon name="edit" /> Edit
        </button>
        <button type="button" className="btn small" onClick={() => void store.remove(rule.id)}>
          <Icon name="trash" /> Delete
        </button>
      </div>
      <dl className="watch-facts">
        <dt>Folder</dt>
        <dd>
          <MiddleTruncate text={rule.folder} /> {rule.recursive ? <span className="muted">and its subfolders</span> : null}
        </dd>
        <dt>Files</dt>
        <dd>{samePatterns(rule.patterns, DEFAULT_WATCH_PATTERNS) ? 'Every image (JPEG, PNG, WebP, HEIC, TIFF, AVIF)' : rule.patterns.join(', ')}</dd>
        <dt>Edit</dt>
        <dd className="watch-fact-prompt" title={rule.prompt}>
          {rule.packId
            ? `Pack “${pack?.name ?? rule.packId}”${pack ? ` · ${pack.targets.map((t) => (t.width && t.height ? `${t.width}×${t.height}` : t.aspectRatio)).join(', ')}` : ''}`
            : rule.templateId
              ? `Template “${templates.find((t) => t.id === rule.templateId)?.name ?? rule.templateId}”`
              : rule.prompt}
        </dd>
        <dt>{rule.models.length > 1 ? 'Models' : 'Model'}</dt>
        <dd>{rule.models.map((id) => modelLabel(models, id)).join(', ')}</dd>
        <dt>Today</dt>
        <dd>
          {budget} · {plural(view.queuedCount, 'file')} sent since start
        </dd>
      </dl>
      {view.message ? (
        <p className="watch-rule-message" role="status">
          {view.message}
        </p>
      ) : null}
      <div className="watch-rule-files">
        <FileList label="Last files" events={view.lastFiles} />
        <FileList label="Failures" events={view.failures} />
      </div>
    </li>
  )
}

function Field({ label, children, id }: { label: string; id: string; children: ReactNode }) {
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {children}
    </div>
  )
}

interface FormPartProps {
  /** The form's own id, which every field's id extends. */
  base: string
  form: WatchForm
  set(patch: Partial<WatchForm>): void
}

/** Folders come from the system's folder dialog, so the choice is shown, not typed. */
function FolderField({ id, label, shown, children }: { id: string; label: string; shown: string; children: ReactNode }) {
  return (
    <div className="field">
      <span className="field-label" id={id}>
        {label}
      </span>
      <div className="watch-folder-row">
        <output aria-labelledby={id} className="watch-folder">
          {shown}
        </output>
        {children}
      </div>
    </div>
  )
}

function ModeFields({ base, form, set, packs, templates }: FormPartProps & { packs: readonly Pack[]; templates: readonly TemplateView[] }) {
  const pack = form.mode === 'pack'
  return (
    <>
      <fieldset className="watch-mode">
        <legend>What to do</legend>
        <label className="check">
          <input type="radio" name={`${base}-mode`} checked={form.mode === 'prompt'} onChange={() => set({ mode: 'prompt' })} /> Write a prompt
        </label>
        <label className="check">
          <input type="radio" name={`${base}-mode`} checked={form.mode === 'template'} onChange={() => set({ mode: 'template' })} /> Use a template
        </label>
        <label className="check">
          <input type="radio" name={`${base}-mode`} checked={pack} onChange={() => set({ mode: 'pack' })} /> Run a pack
        </label>
      </fieldset>
      {pack ? (
        <>
          <Field label="Pack" id={`${base}-pack`}>
            <select id={`${base}-pack`} value={form.packId} onChange={(e) => set({ packId: e.target.value })}>
              <option value="">Choose a pack</option>
              {packs.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} ({plural(p.targets.length, 'target')})
                </option>
              ))}
            </select>
          </Field>
          <p className="hint">Each new image is made into every target of the pack, finished to its exact size and checked, with one model.</p>
          <label className="check">
            <input type="checkbox" checked={form.allowUpscale} onChange={(e) => set({ allowUpscale: e.target.checked })} /> Enlarge where a target is larger than the model makes
          </label>
        </>
      ) : null}
      {form.mode === 'template' ? (
        <Field label="Template" id={`${base}-template`}>
          <select id={`${base}-template`} value={form.templateId} onChange={(e) => set({ templateId: e.target.value })}>
            <option value="">Choose a template</option>
            {templates.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </Field>
      ) : null}
      {pack ? null : (
        <Field label={form.mode === 'template' ? 'Extra instructions (optional)' : 'Prompt'} id={`${base}-prompt`}>
          <textarea id={`${base}-prompt`} rows={3} value={form.prompt} onChange={(e) => set({ prompt: e.target.value })} />
        </Field>
      )}
    </>
  )
}

/** A pack's targets fix each output's size and shape, so only the quality is asked for then. */
function ParamFields({ base, form, set }: FormPartProps) {
  return (
    <div className="watch-params">
      {form.mode === 'pack' ? null : (
        <>
          <Field label="Size" id={`${base}-size`}>
            <input id={`${base}-size`} value={form.size} placeholder="e.g. 1024x1024, 2K" onChange={(e) => set({ size: e.target.value })} />
          </Field>
          <Field label="Aspect ratio" id={`${base}-aspect`}>
            <input id={`${base}-aspect`} value={form.aspectRatio} placeholder="e.g. 4:5" onChange={(e) => set({ aspectRatio: e.target.value })} />
          </Field>
        </>
      )}
      <Field label="Quality" id={`${base}-quality`}>
        <input id={`${base}-quality`} value={form.quality} placeholder="low, medium, high" onChange={(e) => set({ quality: e.target.value })} />
      </Field>
    </div>
  )
}

function RuleForm({ id, form }: { id?: string; form: WatchForm }) {
  const base = useId()
  const store = useWatch.getState()
  const { models, templates } = useCatalog(useShallow((s) => ({ models: s.models, templates: s.templates })))
  const saving = useWatch((s) => s.saving)
  const packs = usePacks((s) => s.packs)
  const set = (patch: Partial<WatchForm>) => store.setForm(patch)
  return (
    <form
      className="watch-form"
      aria-label={id ? 'Edit watch rule' : 'New watch rule'}
      onSubmit={(e) => {
        e.preventDefault()
        void store.save()
      }}
    >
      <Field label="Name" id={`${base}-name`}>
        <input id={`${base}-name`} value={form.name} placeholder="Defaults to the folder's name" onChange={(e) => set({ name: e.target.value })} />
      </Field>
      <FolderField id={`${base}-folder-label`} label="Folder to watch" shown={form.folder || 'No folder chosen'}>
        <button type="button" className="btn small" onClick={() => void store.pickFolder('folder')}>
          <Icon name="folder" /> Choose folder…
        </button>
      </FolderField>
      <label className="check">
        <input type="checkbox" checked={form.recursive} onChange={(e) => set({ recursive: e.target.checked })} /> Include subfolders
      </label>
      <Field label="File patterns" id={`${base}-patterns`}>
        <input id={`${base}-patterns`} value={form.patterns} onChange={(e) => set({ patterns: e.target.value })} />
      </Field>
      <ModeFields base={base} form={form} set={set} packs={packs} templates={templates} />
      <Field label="Model" id={`${base}-model`}>
        <select id={`${base}-model`} value={form.model} onChange={(e) => set({ model: e.target.value })}>
          <option value="">Choose a model</option>
          {models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.label}
            </option>
          ))}
        </select>
      </Field>
      <ParamFields base={base} form={form} set={set} />
      <FolderField id={`${base}-out-label`} label="Output folder" shown={form.outputDir || 'A "pixdesk" folder beside each image'}>
        <button type="button" className="btn small" onClick={() => void store.pickFolder('outputDir')}>
          <Icon name="folder" /> Choose…
        </button>
        {form.outputDir ? (
          <button type="button" className="btn small" onClick={() => set({ outputDir: '' })}>
            Beside each image
          </button>
        ) : null}
      </FolderField>
      <Field label="Daily budget (credits)" id={`${base}-budget`}>
        <input id={`${base}-budget`} inputMode="decimal" value={form.dailyBudget} placeholder="Empty: no daily cap" onChange={(e) => set({ dailyBudget: e.target.value })} />
      </Field>
      <label className="check">
        <input type="checkbox" checked={form.includeExisting} onChange={(e) => set({ includeExisting: e.target.checked })} /> Also process the images already in the folder
      </label>
      <div className="toolbar">
        <button type="submit" className="btn primary" disabled={saving}>
          {id ? 'Save rule' : 'Add rule'}
        </button>
        <button type="button" className="btn" onClick={() => store.cancelEdit()}>
          Cancel
        </button>
      </div>
    </form>
  )
}

/** Watch folders: each rule's state, its last files and failures, and the form to add or change one. */
export function WatchView() {
  const s = useWatch(useShallow((st) => ({ rules: st.rules, loaded: st.loaded, error: st.error, editing: st.editing })))
  const store = useWatch.getState()
  useEffect(() => {
    void useWatch.getState().load()
    if (!useCatalog.getState().loaded) void useCatalog.getState().load()
    if (!usePacks.getState().loaded) void usePacks.getState().load()
  }, [])
  return (
    <div className="view watch-view" data-testid="watch-view">
      <ViewHeader title="Watch folders" status={s.loaded ? plural(s.rules.length, 'rule') : 'Loading…'}>
        <button type="button" className="btn small primary" onClick={() => store.startNew()}>
          <Icon name="plus" /> New rule
        </button>
      </ViewHeader>
      <ErrorNotice error={s.error} onDismiss={() => useWatch.setState({ error: null })} />
      <div className="watch-body">
        {s.editing ? <RuleForm id={s.editing.id} form={s.editing.form} /> : null}
        {s.rules.length ? (
          <ul className="watch-rules" aria-label="Watch rules">
            {s.rules.map((view) => (
              <RuleCard key={view.rule.id} view={view} />
            ))}
          </ul>
        ) : s.loaded && !s.editing ? (
          <p className="hint">No watch rules yet. A rule sends each new image in a folder once, with a prompt, a template or a pack, within a daily budget, while the app is open.</p>
        ) : null}
      </div>
    </div>
  )
}
