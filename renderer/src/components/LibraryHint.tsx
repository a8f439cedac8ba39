/** Empty-state line for views that work on library images: says where to pick them and how. */
export function LibraryHint({ pick, action, onOpenLibrary }: { pick: string; action: string; onOpenLibrary: () => void }) {
  return (
    <p className="hint">
      {pick} in the{' '}
      <button type="button" className="link-btn" onClick={onOpenLibrary}>
        Library
      </button>{' '}
      and choose {action}.
    </p>
  )
}
