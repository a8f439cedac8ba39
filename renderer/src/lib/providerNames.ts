import type { ProviderId } from '@shared/records'

export const providerNames: Record<ProviderId, string> = { pixapi: 'Pixapi', openai: 'OpenAI (direct)', gemini: 'Google Gemini (direct)' }
