# Turns `ginkgo outline --format=indent` CSV into an indented list of containers and specs.
NR == 1 { next }
{
  match($0, /^ */); indent = RLENGTH
  line = substr($0, indent + 1)
  name = line; sub(/,.*/, "", name)
  if (name !~ /^(Describe|Context|When|It|Specify|DescribeTable|Entry)$/) next
  rest = substr(line, length(name) + 2)
  if (substr(rest, 1, 1) == "\"") { text = substr(rest, 2); sub(/",[0-9].*$/, "", text); gsub(/""/, "\"", text) }
  else { text = rest; sub(/,.*/, "", text) }
  if (name == "When") text = "when " text
  printf "%" (indent + 2) "s%s%s\n", "", (name ~ /^(It|Specify|Entry)$/ ? "- " : ""), text
}
