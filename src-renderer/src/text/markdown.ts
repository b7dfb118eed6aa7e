/**
 * A small, safe Markdown renderer for annotation guidelines: headings, paragraphs, lists,
 * bold, italic, inline code and http(s) links. Everything is HTML-escaped first, so a
 * guideline can never inject markup or script. Pure.
 */
const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')

function inline(s: string): string {
  return escapeHtml(s)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, '$1<em>$2</em>')
    .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>')
}

export function renderMarkdown(source: string): string {
  const out: string[] = []
  let list: 'ul' | 'ol' | null = null
  let para: string[] = []
  const endPara = (): void => {
    if (para.length) out.push(`<p>${inline(para.join(' '))}</p>`)
    para = []
  }
  const endList = (): void => {
    if (list) out.push(`</${list}>`)
    list = null
  }
  for (const raw of source.split(/\r?\n/)) {
    const line = raw.trimEnd()
    const heading = /^(#{1,4})\s+(.*)$/.exec(line)
    const bullet = /^\s*[-*]\s+(.*)$/.exec(line)
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line)
    if (heading) {
      endPara()
      endList()
      const level = Math.min(6, heading[1]!.length + 2)
      out.push(`<h${level}>${inline(heading[2]!)}</h${level}>`)
    } else if (bullet || numbered) {
      endPara()
      const kind = bullet ? 'ul' : 'ol'
      if (list !== kind) {
        endList()
        out.push(`<${kind}>`)
        list = kind
      }
      out.push(`<li>${inline((bullet ?? numbered)![1]!)}</li>`)
    } else if (line.trim() === '') {
      endPara()
      endList()
    } else {
      endList()
      para.push(line.trim())
    }
  }
  endPara()
  endList()
  return out.join('')
}
