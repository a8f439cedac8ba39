const labels: Record<string, string> = {
  queued: 'Queued',
  preparing: 'Preparing',
  uploading: 'Uploading',
  running: 'Running',
  polling: 'Polling task',
  downloading: 'Downloading',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
  skipped: 'Skipped',
  budget_wait: 'Over budget',
  duplicate: 'Duplicate',
  paused: 'Paused',
  waiting_network: 'Offline',
  budget_reached: 'Budget reached',
  succeeded: 'Succeeded'
}

const tones: Record<string, string> = {
  done: 'good',
  succeeded: 'good',
  failed: 'bad',
  interrupted: 'bad',
  skipped: 'warn',
  cancelled: 'muted',
  duplicate: 'muted',
  queued: 'muted',
  paused: 'warn',
  budget_wait: 'warn',
  budget_reached: 'warn',
  waiting_network: 'warn'
}

export function StatusPill({ state }: { state: string }) {
  return <span className={`pill ${tones[state] ?? 'active'}`}>{labels[state] ?? state}</span>
}
