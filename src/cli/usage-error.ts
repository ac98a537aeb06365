// A command was asked for something that cannot be done as asked (unknown id, …): the CLI
// prints the message and exits 2, like a configuration error.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
