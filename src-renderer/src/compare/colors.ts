/** One colour per compared run, by its place in the comparison (8 at most), distinct from each other and from the label colours' usual greys. */
export const RUN_COLORS = ['#3b5bdb', '#e8590c', '#2b8a3e', '#c2255c', '#7048e8', '#0c8599', '#a07400', '#495057'] as const

export const runColor = (index: number): string => RUN_COLORS[index % RUN_COLORS.length]!
