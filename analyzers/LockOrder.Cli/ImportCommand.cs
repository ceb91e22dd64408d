using System;
using System.CommandLine;
using System.IO;
using System.Text;
using LockOrder.Cli.Import;

namespace LockOrder.Cli;

/// <summary><c>lockorder import &lt;header&gt; -o lockorder.json</c>: the header's lock-ordering table into lockorder.json,
/// merged with the file when it exists (docs/cli.md).</summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var header = new Argument<string>("header")
        {
            Description = "The C header with the lock-ordering comment table (e.g. fs/smb/client/cifsglob.h).",
        };
        var output = new Option<string>("--output", "-o")
        {
            Description = "The lockorder.json to write; if it exists, the import is merged into it.",
            DefaultValueFactory = _ => "lockorder.json",
        };
        var command = new Command("import", "Import a C header's lock-ordering table into lockorder.json (merging with an existing one).")
        {
            header,
            output,
        };
        command.SetAction(parse => Run(parse.GetValue(header)!, parse.GetValue(output)!, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>Exit code 0 when the file was written (warnings, such as kinds to fill in, go to <paramref name="error"/>),
    /// 1 when the input is bad: nothing is written then.</summary>
    public static int Run(string headerPath, string outputPath, TextWriter output, TextWriter error)
    {
        try
        {
            var headerText = ReadFile(headerPath, "the header");
            var existing = File.Exists(outputPath) ? ReadFile(outputPath, "the existing table") : null;
            var result = Importer.Import(headerPath, headerText, outputPath, existing);
            foreach (var message in result.Messages)
            {
                error.WriteLine(message);
            }

            WriteFile(outputPath, result.Json);
            output.WriteLine($"{(existing is null ? "wrote" : "merged into")} {outputPath}: {result.Rows} rows"
                + (result.KindsMissing == 0 ? "" : $", {result.KindsMissing} without a kind (fill them in by hand)"));
            return 0;
        }
        catch (ImportException e)
        {
            error.WriteLine(e.ToString());
            return 1;
        }
    }

    private static string ReadFile(string path, string what)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ImportException(path, 0, $"cannot read {what}: {e.Message}");
        }
    }

    /// <summary>Writes through a temporary file beside the target, so a failure never leaves half a table.</summary>
    private static void WriteFile(string path, string text)
    {
        string temp = path + ".tmp";
        try
        {
            File.WriteAllText(temp, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            TryDelete(temp);

            throw new ImportException(path, 0, $"cannot write: {e.Message}");
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The temporary file stays behind; the table itself is untouched.
        }
    }
}
