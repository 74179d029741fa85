export function readmeModules(readme: string): string[];
export interface ReadmeCommand {
  readonly command: string;
  /** what the README shows it printing, stderr and stdout lines in order */
  readonly output: string[];
}
export function readmeSession(readme: string): { files: Map<string, string>; commands: ReadmeCommand[] };
