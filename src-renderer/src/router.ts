import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import { NAV_ITEMS } from './nav'

// Each view is its own chunk, loaded when first visited: opening the annotation workspace does
// not parse the charts library or the training views.
const ProjectsView = (): Promise<unknown> => import('./views/ProjectsView.vue')
const ComingSoonView = (): Promise<unknown> => import('./views/ComingSoonView.vue')
const DatasetView = (): Promise<unknown> => import('./views/DatasetView.vue')
const AnnotateView = (): Promise<unknown> => import('./views/AnnotateView.vue')
const AgreementView = (): Promise<unknown> => import('./views/AgreementView.vue')
const TrainView = (): Promise<unknown> => import('./views/TrainView.vue')
const RunView = (): Promise<unknown> => import('./views/RunView.vue')
const RunsView = (): Promise<unknown> => import('./views/RunsView.vue')
const CompareView = (): Promise<unknown> => import('./views/CompareView.vue')
const ModelsView = (): Promise<unknown> => import('./views/ModelsView.vue')
const PredictView = (): Promise<unknown> => import('./views/PredictView.vue')

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/projects' },
  { path: '/projects', name: 'projects', component: ProjectsView },
  { path: '/projects/new', name: 'project-new', component: ProjectsView },
  { path: '/projects/:id(\\d+)', name: 'project', component: ProjectsView, props: true },
  { path: '/dataset', name: 'dataset', component: DatasetView },
  { path: '/dataset/:id(\\d+)', name: 'dataset-project', component: DatasetView, props: true },
  { path: '/annotate', name: 'annotate', component: AnnotateView },
  { path: '/agreement/:projectId(\\d+)?', name: 'agreement', component: AgreementView, props: true },
  { path: '/annotate/:projectId(\\d+)/:documentId(\\d+)?', name: 'annotate-document', component: AnnotateView, props: true },
  { path: '/train', name: 'train', component: TrainView },
  { path: '/train/:projectId(\\d+)', name: 'train-project', component: TrainView, props: true },
  { path: '/train/:projectId(\\d+)/runs/:runId(\\d+)', name: 'run', component: RunView, props: true },
  { path: '/runs', name: 'runs', component: RunsView },
  { path: '/runs/:projectId(\\d+)', name: 'runs-project', component: RunsView, props: true },
  { path: '/compare', name: 'compare', component: CompareView },
  { path: '/compare/:projectId(\\d+)', name: 'compare-project', component: CompareView, props: true },
  { path: '/models', name: 'models', component: ModelsView },
  { path: '/predict', name: 'predict', component: PredictView },
  { path: '/predict/:projectId(\\d+)', name: 'predict-project', component: PredictView, props: true },
  ...NAV_ITEMS.filter((n) => !n.ready).map((n) => ({ path: n.path, name: n.key, component: ComingSoonView, props: { item: n } })),
  { path: '/:rest(.*)*', redirect: '/projects' },
]

// Hash history: the same build works from file:// in Electron and over HTTP in a browser.
export const router = createRouter({ history: createWebHashHistory(), routes })

/**
 * A view whose chunk (or its stylesheet) cannot be loaded — Tagtune was rebuilt or upgraded while
 * this page stayed open, so the old page asks for files that are gone: load the page afresh, once
 * per view until it has loaded.
 */
const RELOADED_FOR = 'tagtune.reloadedFor'
router.onError((err: unknown, to) => {
  const message = err instanceof Error ? err.message : String(err)
  if (!/dynamically imported module|Importing a module script failed|error loading dynamically|Unable to preload CSS/i.test(message)) return
  if (sessionStorage.getItem(RELOADED_FOR) === to.fullPath) return
  sessionStorage.setItem(RELOADED_FOR, to.fullPath)
  window.location.hash = to.fullPath
  window.location.reload()
})
router.afterEach((to, _from, failure) => {
  if (!failure && sessionStorage.getItem(RELOADED_FOR) === to.fullPath) sessionStorage.removeItem(RELOADED_FOR)
})
