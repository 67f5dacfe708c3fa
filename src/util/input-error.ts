/** A problem with the arguments that the schema cannot express; the runner reports it like a schema error. */
export class ToolInputError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
    this.name = 'ToolInputError';
  }
}
