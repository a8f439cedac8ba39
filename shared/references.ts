import { z } from 'zod'

/**
 * Reference images: pictures sent with the image being edited (a product shot, a style, a logo, a
 * background plate), in the order given, each with an optional role. The model sees them as numbered
 * images, so the prompt can say "put the logo from image 3 on the mug"; the roles are written into the
 * prompt as one line before it (see referencePreface), the same on every route.
 */

/** Roles offered in pickers; any short label is accepted. */
export const SUGGESTED_REFERENCE_ROLES = ['product', 'style', 'logo', 'background'] as const

export const MAX_REFERENCE_ROLE_CHARS = 40

/**
 * A role is a short label on one line: it goes into the prompt text, so line breaks and control
 * characters (which could forge another "Image n" line) are refused, not stripped silently.
 */
export const referenceRoleSchema = z
  .string()
  .trim()
  .min(1, 'is empty: give a short label such as style or logo, or leave the role out')
  .max(MAX_REFERENCE_ROLE_CHARS, `is longer than ${MAX_REFERENCE_ROLE_CHARS} characters`)
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001f\u007f:;.()]+$/, 'may not contain line breaks, control characters or the separators : ; . ( )')

/** The most reference images any catalog model takes beside the image edited (GPT image: 16 inputs). */
export const MAX_REFERENCES = 15

/**
 * The line that tells the model which picture is which, put before the prompt when some reference of an
 * edit has a role. Without roles the prompt goes as written: the images are numbered in the order sent
 * either way, so "image 2" in a prompt means the first reference.
 *
 *   Image 1: the image to edit. Image 2 (style): reference. Image 3: reference.
 */
export function referencePreface(inputs: ReadonlyArray<{ role?: string }>): string | null {
  if (inputs.length < 2 || !inputs.slice(1).some((input) => input.role)) return null
  const parts = inputs.map((input, i) => {
    if (i === 0) return 'Image 1: the image to edit.'
    return `Image ${i + 1}${input.role ? ` (${input.role})` : ''}: reference.`
  })
  return parts.join(' ')
}

/** The prompt as sent for an edit with these inputs (the first is the image edited). */
export function promptWithReferences(prompt: string, inputs: ReadonlyArray<{ role?: string }>): string {
  const preface = referencePreface(inputs)
  return preface ? `${preface}\n\n${prompt}` : prompt
}

/**
 * Reads the roles back from a prompt that starts with a preface (the sandbox echoes them so tests can
 * see what reached the server). Image numbers without a role map to undefined; no preface, no roles.
 */
export function rolesFromPrompt(prompt: string): Array<string | undefined> | null {
  const firstLine = prompt.split('\n', 1)[0] ?? ''
  if (!firstLine.startsWith('Image 1: the image to edit.')) return null
  const roles: Array<string | undefined> = [undefined]
  for (const m of firstLine.matchAll(/Image (\d+)(?: \(([^)]*)\))?: reference\./g)) roles[Number(m[1]) - 1] = m[2]
  return roles
}
