/** Takes the queue lock of LOCK_DATA_DIR as LOCK_NAME, prints "HELD" and keeps it until killed. */
import { acquireQueueLock } from '../../electron/core/jobs/queue-lock'

const dataDir = process.env.LOCK_DATA_DIR
if (!dataDir) throw new Error('LOCK_DATA_DIR is required')
acquireQueueLock(dataDir, process.env.LOCK_NAME).then(() => {
  console.log('HELD')
  setInterval(() => {}, 1000)
})
