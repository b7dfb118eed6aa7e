/** The model library service: see library.ts; validate.ts checks folders, hub.ts downloads them. */
export { createModelService, type ModelService, type ModelServiceOptions } from './library'
