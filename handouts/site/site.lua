-- site.lua: pandoc's filter for the course site (tools/mksite.py).
--   * a link to another handout (lab2.md, lab2.md#section) goes to its page;
--   * an image alone in its paragraph is a figure, its text the caption,
--     the picture a link to itself at full size (a wide figure shrinks to
--     the column);
--   * a code block without a language is a console transcript: what you
--     type (after "$ ", "(gdb) ", "<bochs:N> ") and the machine's verdict
--     lines (TEST ... ok, FAIL, PANIC) are marked for the style sheet;
--     a block with a language (```c) is left to pandoc's highlighter.

function Link(el)
  local page, anchor = el.target:match("^([%w_%-]+)%.md(#?.*)$")
  if page then
    el.target = page .. ".html" .. anchor
  end
  return el
end

local function escape(s)
  return (s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end

function Para(el)
  if #el.content == 1 and el.content[1].t == "Image" then
    local img = el.content[1]
    local caption = pandoc.write(pandoc.Pandoc({pandoc.Plain(img.caption)}), "html5")
    local alt = escape(pandoc.utils.stringify(img.caption))
    return pandoc.RawBlock("html", '<figure>\n<a href="' .. escape(img.src) .. '"><img src="' .. escape(img.src) ..
      '" alt="' .. alt .. '"></a>\n<figcaption>' .. caption .. '</figcaption>\n</figure>')
  end
end

local PROMPTS = {"^(%$ )(.*)$", "^(%(gdb%) )(.*)$", "^(<bochs:%d+> )(.*)$"}

local function console_line(line)
  for _, p in ipairs(PROMPTS) do
    local prompt, typed = line:match(p)
    if prompt then
      return '<span class="prompt">' .. escape(prompt) .. '</span><span class="typed">' .. escape(typed) .. '</span>'
    end
  end
  if line:match("^TEST [%w_%-]+: ok") then
    return '<span class="ok">' .. escape(line) .. '</span>'
  end
  if line:match("^PANIC") or line:match("^TEST [%w_%-]+: FAIL") or line:match("FAILED") then
    return '<span class="bad">' .. escape(line) .. '</span>'
  end
  return escape(line)
end

function CodeBlock(el)
  if #el.classes > 0 then
    return nil
  end
  local lines = {}
  for line in (el.text .. "\n"):gmatch("(.-)\n") do
    lines[#lines + 1] = console_line(line)
  end
  return pandoc.RawBlock("html", '<pre class="console"><code>' .. table.concat(lines, "\n") .. '</code></pre>')
end
