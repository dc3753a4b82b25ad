# SPDX-License-Identifier: Apache-2.0
# OpenWrt's UCI shell library, reproduced for the tests (sourced by busybox
# ash, the shell of OpenWrt's init scripts).  Written from the behaviour of
# /lib/functions.sh and /lib/config/uci.sh in OpenWrt's base-files and uci
# packages, which this machine lacks:
#
#   config_load PKG   runs `uci -S -n export PKG` (here: uci_export on
#                     $UCI_CONFIG_DIR/PKG) and evaluates its output, whose
#                     `package`, `config`, `option` and `list` lines are the
#                     functions below.  State from an earlier load is cleared
#                     first.  At the end config_cb is called once more with
#                     no arguments.
#   config TYPE NAME  a section; NAME is cfgXXXXXX for an unnamed one (-n).
#                     Appends NAME to CONFIG_SECTIONS, sets CONFIG_<NAME>_TYPE
#                     and calls config_cb TYPE NAME.
#   option KEY VALUE  CONFIG_<section>_<KEY>=VALUE; calls option_cb KEY VALUE.
#   list KEY VALUE    CONFIG_<section>_<KEY>_ITEM<n> and _LENGTH, and
#                     CONFIG_<section>_<KEY> gets VALUE appended after a
#                     space (LIST_SEP); calls list_cb KEY VALUE.
#   config_get VAR SECTION OPTION [DEFAULT]
#                     VAR=CONFIG_<SECTION>_<OPTION>, or DEFAULT when that is
#                     empty; with two arguments it prints the value.  A
#                     section or option name with any character other than
#                     A-Z a-z 0-9 _ leaves VAR untouched.
#   config_get_bool   1 for 1/on/true/yes/enabled, 0 for 0/off/false/no/
#                     disabled, DEFAULT for anything else.
#   config_foreach FN [TYPE] [ARGS...]
#                     FN SECTION ARGS... for each section (of TYPE), in file
#                     order.
#   config_list_foreach SECTION KEY FN [ARGS...]
#                     FN ITEM ARGS... for each item of list KEY.
#   reset_cb          config_cb, option_cb and list_cb do nothing again.
#
# UCI_CONFIG_DIR (the directory of the UCI files) must be set.

N="
"
NO_EXPORT=1
LIST_SEP=" "

append() {
	local var="$1" value="$2" sep="${3:- }" old
	eval "old=\${$var}"
	eval "$var=\"\${old:+\$old\${value:+\$sep}}\$value\""
}

list_contains() {
	local all
	eval "all=\" \${$1} \""
	case "$all" in *" $2 "*) return 0 ;; esac
	return 1
}

reset_cb() {
	config_cb() { return 0; }
	option_cb() { return 0; }
	list_cb() { return 0; }
}
reset_cb

package() { return 0; }

config_set() {
	eval "CONFIG_${1}_${2}=\$3"
}

config_unset() {
	config_set "$1" "$2" ""
}

config() {
	local type="$1" name="$2"
	CONFIG_NUM_SECTIONS=$((CONFIG_NUM_SECTIONS + 1))
	name=${name:-cfg$CONFIG_NUM_SECTIONS}
	append CONFIG_SECTIONS "$name"
	CONFIG_SECTION=$name
	config_set "$name" TYPE "$type"
	[ -n "$NO_CALLBACK" ] || config_cb "$type" "$name"
}

option() {
	local key="$1"
	shift
	config_set "$CONFIG_SECTION" "$key" "$*"
	[ -n "$NO_CALLBACK" ] || option_cb "$key" "$*"
}

list() {
	local key="$1" n
	shift
	config_get n "$CONFIG_SECTION" "${key}_LENGTH" 0
	[ "$n" = 0 ] && append CONFIG_LIST_STATE "${CONFIG_SECTION}_${key}"
	n=$((n + 1))
	config_set "$CONFIG_SECTION" "${key}_ITEM$n" "$*"
	config_set "$CONFIG_SECTION" "${key}_LENGTH" "$n"
	append "CONFIG_${CONFIG_SECTION}_${key}" "$*" "$LIST_SEP"
	[ -n "$NO_CALLBACK" ] || list_cb "$key" "$*"
}

config_get() {
	case "$2${3:-$1}" in
	*[!A-Za-z0-9_]*) return 0 ;;
	esac
	if [ -z "$3" ]; then
		eval "echo \"\${CONFIG_${1}_${2}:-\${4}}\""
	else
		eval "$1=\${CONFIG_${2}_${3}:-\${4}}"
	fi
}

get_bool() {
	case "$1" in
	1 | on | true | yes | enabled) printf 1 ;;
	0 | off | false | no | disabled) printf 0 ;;
	*) printf '%s' "$2" ;;
	esac
}

config_get_bool() {
	local v
	config_get v "$2" "$3" "$4"
	eval "$1=\$(get_bool \"\$v\" \"\$4\")"
}

config_foreach() {
	local fn="$1" type="$2" section t
	[ "$#" -ge 1 ] && shift
	[ "$#" -ge 1 ] && shift
	for section in $CONFIG_SECTIONS; do
		config_get t "$section" TYPE
		[ -n "$type" ] && [ "$t" != "$type" ] && continue
		eval "$fn \"\$section\" \"\$@\""
	done
}

config_list_foreach() {
	[ "$#" -ge 3 ] || return 0
	local section="$1" key="$2" fn="$3" n i=1 item
	shift 3
	config_get n "$section" "${key}_LENGTH"
	[ -n "$n" ] || return 0
	while [ "$i" -le "$n" ]; do
		config_get item "$section" "${key}_ITEM$i"
		eval "$fn \"\$item\" \"\$@\""
		i=$((i + 1))
	done
}

# uci_export PKG: what `uci -S -n export PKG` prints for $UCI_CONFIG_DIR/PKG:
# every value in single quotes (a quote inside as '\''), unnamed sections
# named cfg plus six hex digits.  A syntax error is uci's "Parse error" and
# status 1.
uci_export() {
	[ -f "$UCI_CONFIG_DIR/$1" ] || { echo "uci: Entry not found" >&2; return 1; }
	awk -v pkg="$1" '
		function word(   c, v, q) {
			sub(/^[ \t]+/, "", line)
			if (line == "" || substr(line, 1, 1) == "#") return 0
			c = substr(line, 1, 1)
			if (c == "\x27" || c == "\"") {
				q = c; v = ""; line = substr(line, 2)
				while (line != "" && substr(line, 1, 1) != q) {
					if (q == "\"" && substr(line, 1, 1) == "\\" && length(line) > 1) line = substr(line, 2)
					v = v substr(line, 1, 1); line = substr(line, 2)
				}
				if (line == "") { err = "unterminated quote"; return 0 }
				line = substr(line, 2); W = v; return 1
			}
			match(line, /^[^ \t#]+/)
			W = substr(line, 1, RLENGTH); line = substr(line, RLENGTH + 1); return 1
		}
		function q(s) { gsub(/\x27/, "\x27\\\x27\x27", s); return "\x27" s "\x27" }
		BEGIN { print "package " pkg }
		{
			line = $0; err = ""
			if (!word()) { if (err != "") { bad = NR; exit 1 } next }
			kw = W
			if (kw == "package") next
			if (kw == "config") {
				if (!word()) { bad = NR; exit 1 }
				type = W; n++
				name = word() ? W : sprintf("cfg%02x%04x", n - 1, (n * 40503 + length(pkg) * 7919 + length(type) * 211) % 65536)
				printf "\nconfig %s %s\n", type, q(name)
				next
			}
			if (kw != "option" && kw != "list") { bad = NR; exit 1 }
			if (!word()) { bad = NR; exit 1 }
			key = W
			if (key !~ /^[A-Za-z0-9_]+$/ || !word()) { bad = NR; exit 1 }
			printf "\t%s %s %s\n", kw, key, q(W)
		}
		END { if (bad) { printf "uci: Parse error (invalid command) at line %d, byte 0\n", bad > "/dev/stderr"; exit 1 } }
	' "$UCI_CONFIG_DIR/$1"
}

uci_load() {
	local data rc v
	for v in $CONFIG_LIST_STATE; do
		eval "CONFIG_$v="
		eval "CONFIG_${v}_LENGTH="
	done
	CONFIG_LIST_STATE= CONFIG_SECTIONS= CONFIG_NUM_SECTIONS=0 CONFIG_SECTION=
	data=$(uci_export "$1" 2>/dev/null)
	rc=$?
	[ "$rc" != 0 ] || [ -z "$data" ] || eval "$data"
	${CONFIG_SECTION:+config_cb}
	return "$rc"
}

config_load() {
	[ -n "$IPKG_INSTROOT" ] && return 0
	uci_load "$@"
}
