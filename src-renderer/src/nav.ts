/** The app's views, in the order the navigation shows them. */
export interface NavItem {
  key: string
  path: string
  title: string
  icon: string
  /** One line on what the view is for, shown as the tooltip and on views still being built. */
  blurb: string
  ready: boolean
}

export const NAV_ITEMS: NavItem[] = [
  { key: 'projects', path: '/projects', title: 'Projects', icon: '▦', blurb: 'Projects and their label sets.', ready: true },
  { key: 'dataset', path: '/dataset', title: 'Dataset', icon: '☰', blurb: 'Import CoNLL, doccano, Label Studio, Prodigy, brat and CLUENER files; splits and statistics.', ready: true },
  { key: 'annotate', path: '/annotate', title: 'Annotate', icon: '✎', blurb: 'Keyboard-first span editing with undo, autosave and conflict handling.', ready: true },
  { key: 'train', path: '/train', title: 'Train', icon: '▶', blurb: 'Fine-tune BERT-family models on your annotations, watch runs live and queue them.', ready: true },
  { key: 'runs', path: '/runs', title: 'Runs', icon: '≡', blurb: 'Every run with its recipe, data snapshot and metrics: sort, filter, tag, export, pick runs to compare.', ready: true },
  { key: 'compare', path: '/compare', title: 'Compare', icon: '⇆', blurb: 'Config diffs, overlaid curves, per-entity tables, prediction diffs and significance tests.', ready: true },
  { key: 'predict', path: '/predict', title: 'Predict', icon: '◎', blurb: 'Type or paste text and see the entities a trained model finds, with confidences; predict whole files and export them.', ready: true },
  { key: 'models', path: '/models', title: 'Models', icon: '◆', blurb: 'The model library: import a Hugging Face folder, download from a hub, and every run\'s best model.', ready: true },
]
