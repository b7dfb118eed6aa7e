import type { Page } from 'playwright-core'

/**
 * Runs in the page: selects [start, end) of the span editor's text as a mouse drag would, then
 * releases the mouse. Self-contained (it is sent to the browser).
 */
export function selectInEditor([start, end]: readonly [number, number]): void {
  const root = document.querySelector('[data-testid="span-editor"]')!
  const at = (o: number): [Node, number] => {
    for (const p of root.querySelectorAll<HTMLElement>('[data-o]')) {
      const base = Number(p.dataset['o'])
      const len = (p.firstChild?.textContent ?? '').length
      if (o >= base && o <= base + len) return [p.firstChild!, o - base]
    }
    throw new Error(`offset ${o} not found`)
  }
  const range = document.createRange()
  range.setStart(...at(start))
  range.setEnd(...at(end))
  const sel = window.getSelection()!
  sel.removeAllRanges()
  sel.addRange(range)
  root.dispatchEvent(new MouseEvent('mouseup', { bubbles: true }))
}

/** Select [start, end) of the editor's text as a mouse drag would, then release the mouse. */
export async function selectText(page: Page, start: number, end: number): Promise<void> {
  // A long document is put on screen in stretches: wait until all of it is there.
  await page.locator('[data-testid="span-editor"][data-complete="true"]').waitFor()
  await page.evaluate(selectInEditor, [start, end] as const)
}
