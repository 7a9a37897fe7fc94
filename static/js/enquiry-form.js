// The enquiry form's interview questions apply only to an interview request. Without this script they are
// always shown (and ignored by the server for other types); with it, they are hidden while another type
// of enquiry is chosen, and come back as soon as "Interview request" is.
document.addEventListener("DOMContentLoaded", function () {
  var groups = document.querySelectorAll("[data-shown-for]");
  Array.prototype.forEach.call(groups, function (group) {
    var form = group.form || group.closest("form");
    var name = group.getAttribute("data-shown-for");
    var value = group.getAttribute("data-shown-value");
    if (!form) {
      return;
    }
    var radios = form.querySelectorAll('input[type="radio"][name="' + name + '"]');

    function update() {
      var chosen = form.querySelector('input[type="radio"][name="' + name + '"]:checked');
      group.hidden = chosen !== null && chosen.value !== value;
    }

    Array.prototype.forEach.call(radios, function (radio) {
      radio.setAttribute("aria-controls", group.id);
      radio.addEventListener("change", update);
    });
    update();
  });
});
