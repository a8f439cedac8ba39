import { createReferencesStore } from '../../components/references/referencesStore'

/** The editor's reference images and brand kit (the batch form has its own). */
export const useEditorReferences = createReferencesStore()
