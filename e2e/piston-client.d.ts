/** Types for the `piston-client` npm package (it ships none): what the Piston e2e test uses. */
declare module 'piston-client' {
  interface PistonStage {
    stdout: string;
    stderr: string;
    output: string;
    code: number | null;
    signal: string | null;
    status?: string | null;
  }
  interface PistonClient {
    runtimes(): Promise<
      { language: string; version: string; aliases: string[]; runtime?: string }[] & { success?: false }
    >;
    execute(
      language: string,
      code: string,
      config?: { stdin?: string; args?: string[]; runTimeout?: number; version?: string },
    ): Promise<{
      language: string;
      version: string;
      run: PistonStage;
      compile?: PistonStage;
      message?: string;
    }>;
  }
  export function piston(options: { server: string }): PistonClient;
  export default piston;
}
