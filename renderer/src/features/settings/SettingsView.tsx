import type { Settings as SettingsModel } from '@shared/settings'
import { ErrorNotice } from '../../components/ErrorNotice'
import { useSave } from './fields'
import { AppearanceSection, EndpointsSection, KeysSection, OutputSection, ProviderSection, RequestsSection, StorageSection } from './SettingsSections'
import { useSettings } from './store'

export function SettingsView() {
  const settings = useSettings((s) => s.settings)
  const loadError = useSettings((s) => s.error)
  const notice = useSettings((s) => s.notice)
  const form = useSave()

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

  return (
    <div className="view scroll" data-testid="settings-view">
      <header className="view-header">
        <h1>Settings</h1>
      </header>
      {notice ? <ErrorNotice error={{ code: 'settings_invalid', message: notice.message }} onDismiss={() => useSettings.getState().dismissNotice()} /> : null}
      <div className="settings">
        <ProviderSection s={s} form={form} />
        <KeysSection />
        <EndpointsSection s={s} form={form} />
        <OutputSection s={s} form={form} />
        <RequestsSection s={s} form={form} />
        <StorageSection s={s} form={form} />
        <AppearanceSection s={s} form={form} />
      </div>
    </div>
  )
}
