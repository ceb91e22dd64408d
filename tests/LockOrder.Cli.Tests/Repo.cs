using System;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;

namespace LockOrder.Cli.Tests;

/// <summary>Files the tests read: the repository's own lockorder.json (found from the test's output folder) and the
/// header fixture.</summary>
internal static class Repo
{
    public const string FixtureName = "cifs-locks.h";

    public static string File(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "LockOrder.sln")))
            {
                return Path.Combine(dir.FullName, relative);
            }
        }

        throw new InvalidOperationException("repository root not found from " + AppContext.BaseDirectory);
    }

    public static string FixturePath => Path.Combine(AppContext.BaseDirectory, "Fixtures", FixtureName);

    public static string FixtureText => System.IO.File.ReadAllText(FixturePath);

    public static string TableText => System.IO.File.ReadAllText(File("lockorder.json"));

    public static JsonObject Table => (JsonObject)JsonNode.Parse(TableText)!;

    public static JsonObject[] Rows(JsonObject table) => table["locks"]!.AsArray().Select(r => (JsonObject)r!).ToArray();

    public static string? Str(JsonNode? node, string field) => node?[field]?.GetValue<string>();

    /// <summary>The 1-based line of the first line of <paramref name="text"/> that contains <paramref name="marker"/>.</summary>
    public static int LineOf(string text, string marker)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        int i = Array.FindIndex(lines, l => l.Contains(marker, StringComparison.Ordinal));
        if (i < 0)
        {
            throw new InvalidOperationException($"'{marker}' not found");
        }

        return i + 1;
    }
}
