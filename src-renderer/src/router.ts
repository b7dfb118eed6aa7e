import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import ProjectsView from './views/ProjectsView.vue'
import ComingSoonView from './views/ComingSoonView.vue'
import DatasetView from './views/DatasetView.vue'
import AnnotateView from './views/AnnotateView.vue'
import AgreementView from './views/AgreementView.vue'
import TrainView from './views/TrainView.vue'
import RunView from './views/RunView.vue'
import RunsView from './views/RunsView.vue'
import CompareView from './views/CompareView.vue'
import ModelsView from './views/ModelsView.vue'
import PredictView from './views/PredictView.vue'
import { NAV_ITEMS } from './nav'

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
