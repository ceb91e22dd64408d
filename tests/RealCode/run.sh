#!/usr/bin/env bash
# Builds a C# project you have checked out with LockOrder injected, without touching its files, and prints
# what LockOrder reported there: crashes (AD0001) first, then diagnostics per rule, then each one.
#
#   tests/RealCode/run.sh <checkout> <project, relative to the checkout> [extra dotnet build arguments...]
#   tests/RealCode/run.sh ~/src/NLog src/NLog/NLog.csproj -p:TargetFrameworks=netstandard2.1 -p:TreatWarningsAsErrors=false
#
# Output goes to $OUT (default: a new temporary folder): build.log, sarif/ (one SARIF 2.1 log per project and
# target framework compiled, with each AD0001's full stack) and summary.txt. Exit status: 0 when the build ran and LockOrder did not crash,
# 1 when it crashed (any AD0001 from LockOrder), 2 when the build itself failed.
# Not run by CI: the code bases are not in this repository (see README.md beside this script).
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  exit 64
fi
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
checkout=$(cd "$1" && pwd)
project="$2"
shift 2
out=${OUT:-$(mktemp -d -t lockorder-realcode-XXXXXX)}
mkdir -p "$out"

# Build the analyzer once, then copy it: a rebuild of the solution would replace the DLL mid-run.
dotnet build "$repo/analyzers/LockOrder.Analyzers/LockOrder.Analyzers.csproj" -c Release -v q -nologo > "$out/analyzer-build.log"
cp "$repo/analyzers/LockOrder.Analyzers/bin/Release/netstandard2.0/LockOrder.Analyzers.dll" "$out/"
# One error log per project and framework: a single -p:ErrorLog on the command line is a global property that
# every project of the build writes to in turn, so the last compile's log would hide its dependencies'.
rm -rf "$out/sarif"
mkdir -p "$out/sarif"
cat > "$out/inject.targets" <<XML
<Project>
  <PropertyGroup>
    <ErrorLog>$out/sarif/\$(MSBuildProjectName)-\$(TargetFramework).sarif,version=2.1</ErrorLog>
  </PropertyGroup>
  <ItemGroup>
    <Analyzer Include="$out/LockOrder.Analyzers.dll" />
  </ItemGroup>
</Project>
XML

# -f/--framework picks one target framework of a multi-targeted project for the build (restore takes none).
restore_args=()
build_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -f|--framework) build_args+=("$1" "$2"); shift 2 ;;
    *) restore_args+=("$1"); build_args+=("$1"); shift ;;
  esac
done

cd "$checkout"
status=0
dotnet restore "$project" ${restore_args[@]+"${restore_args[@]}"} -v q -nologo > "$out/restore.log" 2>&1 || { echo "restore failed: $out/restore.log"; exit 2; }
start=$(date +%s)
dotnet build "$project" ${build_args[@]+"${build_args[@]}"} --no-restore --no-incremental -nologo \
  "-p:CustomAfterMicrosoftCommonTargets=$out/inject.targets" \
  -p:ReportAnalyzer=true -p:RunAnalyzers=true -p:RunAnalyzersDuringBuild=true -v n > "$out/build.log" 2>&1 || status=2
end=$(date +%s)
echo "build of $project: $((end - start)) s, exit $status; log $out/build.log" > "$out/summary.txt"
logs=("$out"/sarif/*.sarif)
[ -f "${logs[0]}" ] || { cat "$out/summary.txt"; echo "no SARIF log: the build did not reach the compiler; see $out/build.log"; exit 2; }
dotnet run --file "$here/Summarize.cs" -- "$checkout" "${logs[@]}" >> "$out/summary.txt" || status=$((status == 0 ? 1 : status))
cat "$out/summary.txt"
exit $status
