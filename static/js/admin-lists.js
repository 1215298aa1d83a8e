'use strict';
// The filter column of an admin change list folds away behind a button beside the list's
// other tools. Folded by default below 1500 px (a laptop with the navigation sidebar open has
// no room for it beside a readable table), open above; a person's choice holds for the tab.
{
    const script = document.currentScript;
    const WIDE = 1500;
    const KEY = 'alumni.admin.changelistFiltersOpen';

    function activeFilters(filter) {
        // Each filter's list marks its current choice; the first choice is "all".
        let count = 0;
        filter.querySelectorAll('ul').forEach((list) => {
            const selected = list.querySelector('li.selected');
            if (selected && selected !== list.querySelector('li')) {
                count += 1;
            }
        });
        return count;
    }

    function setUp() {
        const changelist = document.getElementById('changelist');
        const filter = document.getElementById('changelist-filter');
        if (!changelist || !filter) {
            return;
        }
        let tools = document.querySelector('#content-main > .object-tools');
        if (!tools) {
            tools = document.createElement('ul');
            tools.className = 'object-tools';
            changelist.parentNode.insertBefore(tools, changelist);
        }
        const active = activeFilters(filter);
        const button = document.createElement('button');
        button.type = 'button';
        button.id = 'changelist-filter-toggle';
        button.className = 'changelist-filter-toggle';
        button.setAttribute('aria-controls', 'changelist-filter');
        button.dataset.active = String(active);
        const label = script.dataset.label;
        button.textContent = active ? script.dataset.labelActive.replace('{count}', active) : label;
        const item = document.createElement('li');
        item.appendChild(button);
        tools.insertBefore(item, tools.firstChild);

        function show(open) {
            changelist.classList.toggle('filters-folded', !open);
            button.setAttribute('aria-expanded', String(open));
        }

        const stored = sessionStorage.getItem(KEY);
        show(stored === null ? window.innerWidth >= WIDE : stored === 'true');
        button.addEventListener('click', () => {
            const open = changelist.classList.contains('filters-folded');
            sessionStorage.setItem(KEY, String(open));
            show(open);
            if (open) {
                filter.querySelector('a, summary')?.focus({preventScroll: true});
            }
        });
    }

    setUp();
}
