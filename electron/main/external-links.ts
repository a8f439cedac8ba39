/**
 * The only places Pixdesk sends people outside the app: its own documentation and the providers'
 * dashboards, where keys and credits are managed. Anything else a page asks to open is refused, so a
 * script in the renderer cannot use the user's browser (or a registered protocol handler) as a launcher.
 */
export const EXTERNAL_LINK_HOSTS: readonly string[] = ['pixapi.ai', 'platform.openai.com', 'aistudio.google.com']

/** True for a plain https URL on one of the allowed hosts, with no credentials and no unusual port. */
export function isAllowedExternalUrl(raw: string): boolean {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return false
  }
  return (
    url.protocol === 'https:' &&
    url.username === '' &&
    url.password === '' &&
    url.port === '' &&
    EXTERNAL_LINK_HOSTS.includes(url.hostname)
  )
}
