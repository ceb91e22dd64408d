// Reads the SARIF 2.1 log of a build with LockOrder injected and prints: LockOrder's crashes (AD0001) grouped
// by exception and first engine frame, the count of each LOCK rule, then every LOCK result with its place.
// Exit 1 when LockOrder crashed. Run by run.sh: dotnet run --file Summarize.cs -- <log.sarif> [checkout root]
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;

if (args.Length < 1 || !File.Exists(args[0]))
{
    Console.Error.WriteLine("usage: Summarize.cs <log.sarif> [checkout root]");
    return 64;
}

string root = args.Length > 1 ? Path.GetFullPath(args[1]).TrimEnd('/') + "/" : "";
using var document = JsonDocument.Parse(File.ReadAllText(args[0]));
var results = new List<(string Rule, string Level, string Where, string Message)>();
foreach (var run in document.RootElement.GetProperty("runs").EnumerateArray())
{
    if (!run.TryGetProperty("results", out var items))
    {
        continue;
    }

    foreach (var result in items.EnumerateArray())
    {
        string rule = result.GetProperty("ruleId").GetString() ?? "";
        string level = result.TryGetProperty("level", out var l) ? l.GetString() ?? "" : "warning";
        string message = result.GetProperty("message").GetProperty("text").GetString() ?? "";
        string where = "";
        if (result.TryGetProperty("locations", out var locations) && locations.GetArrayLength() > 0
            && locations[0].TryGetProperty("physicalLocation", out var physical))
        {
            string uri = physical.GetProperty("artifactLocation").GetProperty("uri").GetString() ?? "";
            uri = Uri.TryCreate(uri, UriKind.Absolute, out var absolute) && absolute.IsFile ? absolute.LocalPath : uri;
            int line = physical.TryGetProperty("region", out var region) && region.TryGetProperty("startLine", out var sl) ? sl.GetInt32() : 0;
            where = (uri.StartsWith(root, StringComparison.Ordinal) ? uri.Substring(root.Length) : uri) + "(" + line + ")";
        }

        results.Add((rule, level, where, message));
    }
}

var crashes = results.Where(r => r.Rule == "AD0001" && r.Message.Contains("LockOrder.", StringComparison.Ordinal)).ToList();
Console.WriteLine($"AD0001 from LockOrder: {crashes.Count}");
foreach (var group in crashes.GroupBy(c => Signature(c.Message)).OrderByDescending(g => g.Count()))
{
    Console.WriteLine($"  {group.Count(),5}  {group.Key}");
    Console.WriteLine($"         e.g. {FirstLine(group.First().Message)}");
}

var mine = results.Where(r => r.Rule.StartsWith("LOCK", StringComparison.Ordinal)).ToList();
Console.WriteLine($"LockOrder diagnostics: {mine.Count}" + (mine.Count == 0 ? "" : " (" + string.Join(", ", mine.GroupBy(r => r.Rule).OrderBy(g => g.Key).Select(g => g.Key + " " + g.Count())) + ")"));
foreach (var r in mine.Distinct().OrderBy(r => r.Rule).ThenBy(r => r.Where, StringComparer.Ordinal))
{
    Console.WriteLine($"  {r.Rule} {r.Level} {r.Where}: {r.Message}");
}

return crashes.Count == 0 ? 0 : 1;

// "IndexOutOfRangeException at LockOrder.Engine.LockDataflow.Transfer": what to fix, whichever rule hit it.
static string Signature(string message)
{
    var inner = Regex.Matches(message, @"---> ([\w.]+):").Select(m => m.Groups[1].Value).LastOrDefault()
        ?? Regex.Match(message, @"exception of type '([\w.]+)'").Groups[1].Value;
    var frame = Regex.Matches(message, @"at (LockOrder\.[\w.`<>|]+)\(").Select(m => m.Groups[1].Value).FirstOrDefault() ?? "?";
    return inner + " at " + frame;
}

static string FirstLine(string text)
{
    int end = text.IndexOfAny(new[] { '\r', '\n' });
    return end < 0 ? text : text.Substring(0, end);
}
