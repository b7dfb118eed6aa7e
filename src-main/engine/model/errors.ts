/** A model file (safetensors, config.json, the folder itself) that cannot be used, named for the user. */
export class ModelFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`)
    this.name = 'ModelFileError'
  }
}
