import { placeholders, templateInputSchema, USER_TEXT_PLACEHOLDER, type TemplateInput, type TemplateView } from '@shared/templates'

/** One variable as the editor holds it: options as typed, one per line. */
export interface VariableForm {
  name: string
  label: string
  description: string
  default: string
  options: string
  strict: boolean
  required: boolean
}

/** A template as the editor holds it: plain strings, turned into the contract's shape on save. */
export interface TemplateForm {
  name: string
  category: string
  description: string
  prompt: string
  negativePrompt: string
  aspectRatio: string
  variables: VariableForm[]
}

export const emptyForm = (): TemplateForm => ({ name: '', category: 'My templates', description: '', prompt: '', negativePrompt: '', aspectRatio: '', variables: [] })

export function formFromTemplate(t: TemplateView): TemplateForm {
  return {
    name: t.name,
    category: t.category,
    description: t.description ?? '',
    prompt: t.prompt,
    negativePrompt: t.negativePrompt ?? '',
    aspectRatio: t.params?.aspectRatio ?? '',
    variables: t.variables.map((v) => ({
      name: v.name,
      label: v.label,
      description: v.description ?? '',
      default: v.default ?? '',
      options: (v.options ?? []).join('\n'),
      strict: v.strict,
      required: v.required
    }))
  }
}

const optional = (value: string) => (value.trim() ? value.trim() : undefined)

export function formToInput(form: TemplateForm): TemplateInput {
  const aspect = optional(form.aspectRatio)
  return {
    name: form.name,
    category: form.category,
    description: optional(form.description),
    prompt: form.prompt,
    negativePrompt: optional(form.negativePrompt),
    ...(aspect ? { params: { aspectRatio: aspect } } : {}),
    variables: form.variables.map((v) => {
      const options = v.options
        .split('\n')
        .map((o) => o.trim())
        .filter(Boolean)
      return {
        name: v.name.trim(),
        label: v.label,
        description: optional(v.description),
        default: v.default.trim() ? v.default : undefined,
        ...(options.length ? { options } : {}),
        strict: v.strict,
        required: v.required
      }
    })
  }
}

/** "background_colour" → "Background colour", a label to start from. */
const labelFor = (name: string) => name.charAt(0).toUpperCase() + name.slice(1).replace(/_/g, ' ')

/**
 * The form after the prompt changed: every new `{name}` gets a variable row to fill in. Rows the prompt no
 * longer uses stay (with what was typed in them) and are flagged, so nothing typed is lost to a typo.
 */
export function withPrompt(form: TemplateForm, prompt: string): TemplateForm {
  const known = new Set(form.variables.map((v) => v.name))
  const added = placeholders(prompt)
    .filter((name) => name !== USER_TEXT_PLACEHOLDER && /^[a-z][a-z0-9_]{0,39}$/.test(name) && !known.has(name))
    .map((name) => ({ name, label: labelFor(name), description: '', default: '', options: '', strict: false, required: true }))
  return { ...form, prompt, variables: [...form.variables, ...added] }
}

/** Each problem keyed by its field ("name", "prompt", "variables.0.label"), as the main process words it. */
export function formProblems(form: TemplateForm): Map<string, string> {
  const problems = new Map<string, string>()
  const parsed = templateInputSchema.safeParse(formToInput(form))
  if (parsed.success) return problems
  for (const issue of parsed.error.issues) {
    const field = issue.path.join('.') || 'template'
    if (!problems.has(field)) problems.set(field, issue.message)
  }
  return problems
}
