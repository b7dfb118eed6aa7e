import type { Page } from 'playwright-core'

/** Select [start, end) of the editor's text as a mouse drag would, then release the mouse. */
export async function selectText(page: Page, start: number, end: number): Promise<void> {
  // A long document is put on screen in stretches: wait until all of it is there.
  await page.locator('[data-testid="span-editor"][data-complete="true"]').waitFor()
  await page.getByTestId('span-editor').evaluate(
    (root, [s, e]) => {
      const pieces = [...root.querySelectorAll('[data-o]')] as HTMLElement[]
      const at = (o: number): [Node, number] => {
        for (const p of pieces) {
          const base = Number(p.dataset['o'])
          const len = (p.firstChild?.textContent ?? '').length
          if (o >= base && o <= base + len) return [p.firstChild!, o - base]
        }
        throw new Error(`offset ${o} not found`)
      }
      const range = document.createRange()
      range.setStart(...at(s!))
      range.setEnd(...at(e!))
      const sel = window.getSelection()!
      sel.removeAllRanges()
      sel.addRange(range)
      root.dispatchEvent(new MouseEvent('mouseup', { bubbles: true }))
    },
    [start, end],
  )
}

