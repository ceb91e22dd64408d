using System;
using System.Diagnostics;

namespace LockOrder.Tests;

/// <summary>Runs the real <c>dotnet</c> CLI for the tests that build outside the repository.</summary>
internal static class Dotnet
{
    /// <summary>Exit code and everything it printed; no node reuse or compiler server, so nothing outlives the test.</summary>
    public static (int ExitCode, string Output) Run(string arguments, string workingDirectory, int timeoutMinutes = 5)
    {
        var start = new ProcessStartInfo("dotnet", arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(timeoutMinutes)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {arguments} did not finish in {timeoutMinutes} minutes");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
