/** Fields the forms mark inline; an error about any other field (or none) is shown as a notice. */
const inlineFields = ['prompt', 'models', 'size', 'quality', 'aspectRatio', 'outputFormat', 'background', 'n']

export function unplaced<T extends { field?: string } | null>(error: T): T | null {
  return error && error.field && inlineFields.includes(error.field) ? null : error
}
